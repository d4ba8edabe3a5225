"""Moved to :mod:`amzauth.config.redact` (config sits below core); kept so old imports still work."""

from amzauth.config.redact import *  # noqa: F403
from amzauth.config.redact import __all__ as __all__
