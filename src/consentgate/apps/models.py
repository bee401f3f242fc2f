"""What an app is: the registration a developer submits (``AppRegistration``), the app as
stored (``App``, with its public object ``as_dict``), its history (``AppEvent``), and the app
as the decision sees it (``App.view``, with the developer's country for the election-period
safeguards).

An app registered for ``political_campaigning`` names its ``sponsor`` (the person or body on
whose behalf the campaigning is done, Regulation 2024/900 Art. 3) and gives a
``funding_statement`` (who pays, and how much: Art. 12); other apps give neither."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from consentgate.catalog import POLITICAL_PURPOSE, Catalog
from consentgate.policy import AppStatus, AppView

__all__ = [
    "App",
    "AppEvent",
    "AppRegistration",
    "Developer",
    "RegisteredApp",
    "Sponsor",
    "app_view",
    "notification_url_problem",
]

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Developer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(pattern=_EMAIL, max_length=320)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Sponsor(BaseModel):
    """On whose behalf a political app campaigns (Regulation 2024/900 Art. 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class AppRegistration(BaseModel):
    """What a developer submits for review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    developer: Developer
    purposes: Annotated[list[str], Field(min_length=1, max_length=20)]
    fields: Annotated[
        dict[str, Annotated[str, Field(min_length=1, max_length=2000)]], Field(min_length=1)
    ]
    retention_days: Annotated[StrictInt, Field(ge=1, le=3650)]  # a JSON integer, not "30"
    privacy_policy_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]
    # where Art. 19 notices are POSTed: https://, or http:// on a loopback host
    notification_url: Annotated[str, Field(max_length=2000)] | None = None

    @field_validator("notification_url")
    @classmethod
    def _notification_url(cls, value: str | None) -> str | None:
        if value is not None:
            problem = notification_url_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value

    sponsor: Sponsor | None = None
    funding_statement: Annotated[str, Field(min_length=1, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _political_apps_name_their_sponsor(self) -> AppRegistration:
        political = POLITICAL_PURPOSE in self.purposes
        if political and self.sponsor is None:
            raise ValueError(
                f"an app for {POLITICAL_PURPOSE!r} needs a sponsor: "
                '"sponsor": {"name", "country"} (Regulation 2024/900 Art. 3)'
            )
        if political and (self.funding_statement is None or not self.funding_statement.strip()):
            raise ValueError(
                f"an app for {POLITICAL_PURPOSE!r} needs a funding_statement: who pays for "
                "the campaigning, and how much (Regulation 2024/900 Art. 12)"
            )
        if not political and (self.sponsor is not None or self.funding_statement is not None):
            raise ValueError(
                f"sponsor and funding_statement are for apps declaring {POLITICAL_PURPOSE!r}"
            )
        return self

    @field_validator("fields")
    @classmethod
    def _justified(cls, value: dict[str, str]) -> dict[str, str]:
        for name, justification in value.items():
            if not justification.strip():
                raise ValueError(f"field {name!r} needs a justification")
        return value


@dataclass(frozen=True, slots=True)
class App:
    id: str
    name: str
    developer: Developer
    purposes: tuple[str, ...]
    fields_requested: dict[str, str]
    fields_approved: tuple[str, ...]
    retention_days: int
    privacy_policy_url: str
    status: AppStatus
    status_reason: str | None
    client_id: str
    client_secret_hash: str
    created_at: datetime
    updated_at: datetime
    notification_url: str | None = None
    notification_secret: str | None = None  # whsec_…; never in the public object
    sponsor: Sponsor | None = None
    funding_statement: str | None = None

    def view(self, catalog: Catalog) -> AppView:
        """The app as the decision sees it."""
        return app_view(
            self.id,
            self.status,
            self.purposes,
            self.fields_approved,
            catalog,
            developer_country=self.developer.country,
        )

    def as_dict(self) -> dict[str, Any]:
        """The public app object (HTTP contract); never the secret or its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "developer": self.developer.model_dump(),
            "purposes": list(self.purposes),
            "fields_requested": dict(self.fields_requested),
            "fields_approved": list(self.fields_approved),
            "retention_days": self.retention_days,
            "privacy_policy_url": self.privacy_policy_url,
            "sponsor": None if self.sponsor is None else self.sponsor.model_dump(),
            "funding_statement": self.funding_statement,
            "status": str(self.status),
            "status_reason": self.status_reason,
            "client_id": self.client_id,
            "notification_url": self.notification_url,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    app: App
    client_secret: str
    notification_secret: str | None = None  # shown once, when a notification_url was given


@dataclass(frozen=True, slots=True)
class AppEvent:
    """One step of an app's review and suspension history, with who took it."""

    event: str
    detail: dict[str, Any]
    at: datetime
    actor: str | None  # ``Actor.ref``; None for events recorded before actors were

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "detail": dict(self.detail),
            "at": self.at.isoformat(),
            "actor": self.actor,
        }


def app_view(
    app_id: str,
    status: AppStatus,
    purposes: Sequence[str],
    fields_approved: Sequence[str],
    catalog: Catalog,
    *,
    developer_country: str | None,
) -> AppView:
    """The decision's view of an app; ``developer_country`` (ISO alpha-2) is what the
    election-period safeguards check, None when unknown (which they treat as outside the
    EU/EEA)."""
    approved = [name for name in fields_approved if name in catalog.field_bits]
    return AppView(
        id=app_id,
        status=status,
        purposes=frozenset(purposes),
        approved_mask=catalog.mask(approved),
        developer_country=developer_country or None,
    )


_LOOPBACK_NAMES = frozenset({"localhost"})


def notification_url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive notices (None when it can): ``https://`` with a host, or
    ``http://`` on a loopback host (tests, demos)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError for a malformed port
    except ValueError:
        return "notification_url is not a valid URL"
    if not host or any(c.isspace() for c in url):
        return "notification_url needs a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(host):
        return None
    return "notification_url must be https://, or http:// on a loopback host"


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
