"""Settings from the environment (prefix ``CONSENTGATE_``), with a zero-config default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    subject_token_secret: SecretStr | None = Field(
        default=None,
        description="HS256 secret of the platform's data-subject JWTs (demo mode makes one).",
    )
    admin_key: SecretStr | None = Field(
        default=None, description="An operator key with the admin role, seeded at start."
    )
    app_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    group_commit_max: int = Field(
        default=256, ge=1, le=10_000, description="Most disclosures committed in one batch."
    )
    group_commit_wait_ms: float = Field(
        default=1.0, ge=0, le=50, description="How long a batch waits for company."
    )
    detect: bool = Field(default=True, description="Harvest detection (CONSENTGATE_DETECT).")
    ledger_origin: str = Field(
        default="localhost/consentgate/ledger/v1",
        pattern=r"^[^\s+]+$",
        description="Checkpoint origin and note key name (e.g. <host>/consentgate/ledger/v1).",
    )
    ledger_integrate_ms: int = Field(
        default=500, ge=10, le=1000, description="Longest wait before new leaves are signed."
    )
