"""Moved to :mod:`amzauth.config.marketplaces` (config sits below core); kept so old imports still work."""

from amzauth.config.marketplaces import *  # noqa: F403
from amzauth.config.marketplaces import __all__ as __all__
