"""Operator keys as the admin lists them (``routes/operators.py``): never the key, only
what is kept of it."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Public

__all__ = ["OperatorKeyPublic", "OperatorKeysPublic"]


class OperatorKeyPublic(Public):
    id: str
    role: str = Field(description="admin, dpo or auditor")
    label: str | None
    created_us: int = Field(description="When the key was made (microseconds since 1970)")
    created_by: str | None = Field(
        description="Who made it: operator:<id>, system:cli, system:admin-key-seed, "
        "system:serve-demo (null for keys made before this was recorded)"
    )
    revoked_us: int | None = Field(description="When it was revoked; null while live")
    revoked_by: str | None = Field(description="Who revoked it")


class OperatorKeysPublic(Public):
    data: list[OperatorKeyPublic]
