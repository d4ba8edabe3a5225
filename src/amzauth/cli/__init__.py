"""The ``amzauth`` command line (contract: docs/reference/cli.md)."""
