"""``python -m amzauth``: the same launcher as the ``amzauth`` command."""

from amzauth.cli.launch import main

main()
