"""Profiles: the TOML file users write (contract: docs/reference/config.md)."""

from amzauth.config.profiles import (
    ConfigError,
    Profile,
    config_search_paths,
    find_config_file,
    list_profiles,
    load_profile,
    profile_from_keywords,
    profile_from_mapping,
)

__all__ = [
    "ConfigError",
    "Profile",
    "config_search_paths",
    "find_config_file",
    "list_profiles",
    "load_profile",
    "profile_from_keywords",
    "profile_from_mapping",
]
