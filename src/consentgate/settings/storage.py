"""Where consentgate keeps its state, which catalog it uses, and where the personal data it
guards lives (``CONSENTGATE_DATABASE_URL``, ``_CATALOG``, ``_SOURCE``), and the master key
the stored private keys and server secrets are sealed under (``_MASTER_KEY`` or
``_MASTER_KEY_FILE``; ``storage.master``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from consentgate.settings.base import CapabilitySettings, checked_secret

__all__ = ["DEFAULT_DATABASE_URL", "DEMO_SOURCE", "StorageSettings"]

DEMO_SOURCE = "demo"

DEFAULT_DATABASE_URL = "sqlite:///consentgate.db"


class StorageSettings(CapabilitySettings):
    """``CONSENTGATE_DATABASE_URL`` defaults to a SQLite file in the working directory;
    PostgreSQL via ``postgresql+psycopg://user@host/db``."""

    database_url: str = DEFAULT_DATABASE_URL
    catalog: Path | None = Field(
        default=None, description="A catalog TOML file; the built-in catalog when unset."
    )
    source: str = Field(
        default=DEMO_SOURCE,
        min_length=1,
        description="Where personal data is read: 'demo' (the demo platform) or a TOML file "
        "mapping a SQL table to catalog fields (docs/cli.md).",
    )

    master_key: SecretStr | None = Field(
        default=None,
        description="The key (at least 32 random characters) that private keys and server "
        "secrets are sealed under in the database; unset: the key file.",
    )
    master_key_file: Path | None = Field(
        default=None,
        description="A file (mode 0600) holding the master key, generated when missing; "
        "default: <database file>.key beside a SQLite database, else "
        "$XDG_CONFIG_HOME/consentgate/master.key.",
    )

    @field_validator("master_key")
    @classmethod
    def _master_key_is_a_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        return checked_secret(value, info, minimum=32)

    @field_validator("source")
    @classmethod
    def _demo_or_a_file(cls, value: str) -> str:
        if value != DEMO_SOURCE and not Path(value).is_file():
            raise ValueError(f"is neither {DEMO_SOURCE!r} nor a mapping file that exists")
        return value
