"""The installed distribution's version (importlib.metadata costs ~30 ms, so it loads on first use)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("amzauth")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
