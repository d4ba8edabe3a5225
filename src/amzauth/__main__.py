"""``python -m amzauth``."""

from amzauth.cli.main import main

main()
