"""The app object (``routes/apps.py``): never the client secret's hash; the registration's
201 alone adds the secret, once."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Public, Timestamp
from consentgate.apps import Developer, Sponsor
from consentgate.policy import AppStatus

__all__ = [
    "AppCreatedPublic",
    "AppPublic",
    "ClientSecretPublic",
]


class AppPublic(Public):
    id: str
    name: str
    developer: Developer
    purposes: list[str]
    fields_requested: dict[str, str] = Field(description="Each field with its justification")
    fields_approved: list[str]
    retention_days: int
    privacy_policy_url: str
    sponsor: Sponsor | None = Field(
        description="political_campaigning apps: on whose behalf they campaign (else null)"
    )
    funding_statement: str | None = Field(
        description="political_campaigning apps: who pays, and how much (else null)"
    )
    status: AppStatus
    status_reason: str | None
    client_id: str
    notification_url: str | None = Field(
        default=None, description="Where Art. 19 notices are POSTed (Standard Webhooks)"
    )
    created_at: Timestamp
    updated_at: Timestamp


class ClientSecretPublic(Public):
    app_id: str
    client_id: str
    client_secret: str = Field(
        description="The new secret, shown once: the old one, and its tokens, stop working"
    )


class AppCreatedPublic(AppPublic):
    client_secret: str = Field(description="Shown once: only its hash is kept")
    notification_secret: str | None = Field(
        default=None,
        description="The webhook signing secret (whsec_…), shown once; only with a "
        "notification_url",
    )
