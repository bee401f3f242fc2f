"""Where consentgate keeps its state and which catalog it uses (``CONSENTGATE_DATABASE_URL``,
``CONSENTGATE_CATALOG``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["DEFAULT_DATABASE_URL", "StorageSettings"]

DEFAULT_DATABASE_URL = "sqlite:///consentgate.db"


class StorageSettings(CapabilitySettings):
    """``CONSENTGATE_DATABASE_URL`` defaults to a SQLite file in the working directory;
    PostgreSQL via ``postgresql+psycopg://user@host/db``."""

    database_url: str = DEFAULT_DATABASE_URL
    catalog: Path | None = Field(
        default=None, description="A catalog TOML file; the built-in catalog when unset."
    )
