"""``GET /healthz`` (``routes/health.py``)."""

from __future__ import annotations

from typing import Literal

from consentgate.api.models.base import Public

__all__ = ["HealthPublic"]


class HealthPublic(Public):
    status: Literal["ok"]
