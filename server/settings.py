"""callforce's settings, read once from the environment (prefix ``CALLFORCE_``) at the edge."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("callforce", appauthor=False))


class Settings(BaseSettings):
    """Every setting of callforce. Secrets are never logged or shown."""

    model_config = SettingsConfigDict(env_prefix="CALLFORCE_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Where callforce keeps state.")
