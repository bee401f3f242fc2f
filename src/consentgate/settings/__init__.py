"""Settings from the environment (prefix ``CONSENTGATE_``), one class per capability —
``StorageSettings``, ``ConsentSettings``, ``TokenSettings``, ``LedgerSettings``,
``DetectSettings``, ``WebhookSettings``, ``RightsSettings``, ``TransparencySettings``,
``ClockSettings``, ``BreachSettings``, ``AnalyticsSettings``, ``LimitSettings`` — composed
into ``Settings``.
Zero-config default: a local SQLite file, the built-in catalog, the demo platform.

``load_settings`` reads one of them and turns a bad variable into one ``InvalidInput``
naming it (``setting CONSENTGATE_X: problem``), so every command reports it as one line.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from pydantic import ValidationError

from consentgate.errors import InvalidInput
from consentgate.settings.analytics import AnalyticsSettings
from consentgate.settings.base import CapabilitySettings
from consentgate.settings.breach import BreachPolicy, BreachSettings
from consentgate.settings.clock import ClockSettings
from consentgate.settings.consent import ConsentPolicy, ConsentSettings
from consentgate.settings.detect import DetectSettings, Thresholds
from consentgate.settings.ledger import DEFAULT_LEDGER_ORIGIN, LedgerSettings
from consentgate.settings.limits import LimitSettings
from consentgate.settings.rights import RightsSettings
from consentgate.settings.storage import DEFAULT_DATABASE_URL, DEMO_SOURCE, StorageSettings
from consentgate.settings.tokens import TokenSettings
from consentgate.settings.transparency import TransparencySettings
from consentgate.settings.webhooks import WebhookSettings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_LEDGER_ORIGIN",
    "DEMO_SOURCE",
    "AnalyticsSettings",
    "BreachPolicy",
    "BreachSettings",
    "CapabilitySettings",
    "ClockSettings",
    "ConsentPolicy",
    "ConsentSettings",
    "DetectSettings",
    "LedgerSettings",
    "LimitSettings",
    "RightsSettings",
    "Settings",
    "StorageSettings",
    "Thresholds",
    "TokenSettings",
    "TransparencySettings",
    "WebhookSettings",
    "load_settings",
    "settings_problem",
]

S = TypeVar("S", bound=CapabilitySettings)


class Settings(
    StorageSettings,
    ConsentSettings,
    TokenSettings,
    LedgerSettings,
    DetectSettings,
    WebhookSettings,
    RightsSettings,
    TransparencySettings,
    ClockSettings,
    BreachSettings,
    AnalyticsSettings,
    LimitSettings,
):
    """Every capability's settings in one object (what the composition root is built from).
    Placeholder or short secrets are refused unless ``demo`` is on."""

    def breach_policy(self) -> BreachPolicy:
        """What breach documents say about the controller, from these settings."""
        return BreachPolicy(
            controller_name=self.controller_name,
            controller_email=self.controller_email,
            dpo_name=self.dpo_name,
            dpo_email=self.dpo_email,
            lead_authority=self.lead_authority,
            annual_turnover_eur=self.annual_turnover_eur,
        )


@overload
def load_settings(**overrides: Any) -> Settings: ...


@overload
def load_settings(kind: type[S], **overrides: Any) -> S: ...


def load_settings(kind: type[CapabilitySettings] = Settings, **overrides: Any) -> Any:
    """``kind`` (every setting by default, or one capability's) read from the environment,
    ``overrides`` winning; ``InvalidInput`` naming the first bad variable if it cannot be."""
    try:
        return kind(**overrides)
    except ValidationError as exc:
        raise InvalidInput(settings_problem(exc)) from None


def settings_problem(exc: ValidationError) -> str:
    """``setting CONSENTGATE_<NAME>: <problem>`` for the first error of ``exc``."""
    error = exc.errors(include_url=False)[0]
    problem = str(error["msg"]).removeprefix("Value error, ")
    where = "_".join(str(part) for part in error["loc"])
    if not where:
        return f"settings: {problem}"
    return f"setting CONSENTGATE_{where.upper()}: {problem}"
