"""The ``amzauth`` command line (contract: ../shared/contracts/cli.md)."""
