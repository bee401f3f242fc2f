"""What every capability's settings share: the ``CONSENTGATE_`` prefix, demo mode, and the
rule that refuses placeholder or short secrets outside demo mode.

The composed ``Settings`` inherits every capability's validators by name: give each a name
of its own (``_webhook_secret``, not a shared ``_hmac_secret``), or one hides the other."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, ValidationInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CapabilitySettings", "checked_secret", "secret_problem"]

# values that say "put your secret here" (compared without case and punctuation)
PLACEHOLDERS = frozenset(
    {
        "changeme",
        "changeit",
        "replaceme",
        "secret",
        "mysecret",
        "yoursecret",
        "password",
        "passw0rd",
        "default",
        "example",
        "placeholder",
        "test",
        "admin",
        "todo",
        "xxx",
    }
)
_PLACEHOLDER_PARTS = ("changeme", "replaceme", "placeholder", "yoursecrethere")


class CapabilitySettings(BaseSettings):
    """The base of each capability's settings (``StorageSettings``, ``TokenSettings`` ...);
    ``consentgate.settings.Settings`` composes them all."""

    model_config = SettingsConfigDict(env_prefix="CONSENTGATE_", extra="ignore")

    demo: bool = Field(
        default=False,
        description="Demo mode (serve --demo and the simulations): placeholder secrets pass.",
    )


def secret_problem(value: str, *, minimum: int) -> str | None:
    """Why ``value`` is not a secret worth the name (None when it is one)."""
    normalised = re.sub(r"[^a-z0-9]", "", value.lower())
    if normalised in PLACEHOLDERS or any(part in normalised for part in _PLACEHOLDER_PARTS):
        return "is a placeholder: set a random value (e.g. `openssl rand -base64 48`)"
    if any(value == (value[:period] * len(value))[: len(value)] for period in range(1, 5)):
        return "repeats a few characters: set a random value (e.g. `openssl rand -base64 48`)"
    if len(value.encode("utf-8")) < minimum:
        return f"is shorter than {minimum} bytes: set a longer random value"
    return None


def checked_secret(
    value: SecretStr | None, info: ValidationInfo, *, minimum: int
) -> SecretStr | None:
    """``value`` unless it is a placeholder or too short (demo mode lets anything pass)."""
    if value is None or info.data.get("demo"):
        return value
    problem = secret_problem(value.get_secret_value(), minimum=minimum)
    if problem is not None:
        raise ValueError(problem)
    return value
