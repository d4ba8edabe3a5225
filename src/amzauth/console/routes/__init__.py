"""The console's routes, one router per area; ``create_app`` includes them all."""

from amzauth.console.routes import auth, explain, profiles, search, spapi

ROUTERS = (auth.router, profiles.router, search.router, spapi.router, explain.router)

__all__ = ["ROUTERS"]
