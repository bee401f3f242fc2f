"""Settings from the environment (prefix ``CONSENTGATE_``), with a zero-config default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///consentgate.db"


class Settings(BaseSettings):
    """``CONSENTGATE_DATABASE_URL`` defaults to a SQLite file in the working directory;
    PostgreSQL via ``postgresql+psycopg://user@host/db``."""

    model_config = SettingsConfigDict(env_prefix="CONSENTGATE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    catalog: Path | None = Field(
        default=None, description="A catalog TOML file; the built-in catalog when unset."
    )
    consent_ttl_days: int = Field(
        default=90, ge=1, le=3650, description="Days a consent lives after grant or renewal."
    )
    controller_name: str = Field(
        default="consentgate demo platform",
        description="The controller named on consent receipts.",
    )
    controller_email: str = "dpo@example.org"
    jurisdiction: str = "EU"
