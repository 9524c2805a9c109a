"""Configuration: the settings registry (:mod:`.settings`), its up-front validation and the
generated configuration table."""

from chimera_pipeline.lib.config.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_settings,
)

__all__ = ["PROJECT_ROOT", "Settings", "SettingsError", "load_settings"]
