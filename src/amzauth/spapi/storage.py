"""Moved to :mod:`amzauth.config.storage` (profiles resolve stored tokens); kept so old imports still work."""

from amzauth.config.profiles import resolve_profile
from amzauth.config.storage import *  # noqa: F403
from amzauth.config.storage import __all__ as _moved

__all__ = [*_moved, "resolve_profile"]
