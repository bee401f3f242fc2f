"""The app registry's lifecycle: registration, review (approve all or a subset, reject),
suspension and reinstatement, client authentication and client-secret rotation — over an
``AppStore``. An access token carries the version of the secret it was issued under
(``credentials.secret_version``), so rotating the secret ends the old one's tokens too.

State machine (every change is a compare-and-set on the current status, and an app event
recording the actor who made it):

    pending ──approve──► approved ──suspend──► suspended
       │                    ▲                      │
       └──reject──► rejected └──────reinstate──────┘

Reinstatement here is the transition alone; closing the app's incidents with it, in the
same transaction, is ``breach.containment.reinstate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from consentgate.apps.credentials import (
    hash_secret,
    new_app_id,
    new_client_id,
    new_client_secret,
    new_notification_secret,
    secret_version,
    verify_secret,
)
from consentgate.apps.models import App, AppEvent, AppRegistration, RegisteredApp
from consentgate.apps.store import AppStore
from consentgate.authz import Actor
from consentgate.catalog import Catalog
from consentgate.clock import to_micros, utc_now
from consentgate.errors import AppNotFound, GrantRefused, InvalidInput, InvalidTransition
from consentgate.policy import AppStatus, Reason
from consentgate.validation import parse_model

__all__ = [
    "app_events_of",
    "approve_app",
    "authenticate_client",
    "get_app",
    "list_apps",
    "register_app",
    "reinstate_app",
    "reject_app",
    "rotate_client_secret",
    "secret_version",
    "suspend_app",
]


def register_app(
    apps: AppStore,
    catalog: Catalog,
    registration: AppRegistration | Mapping[str, Any],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> RegisteredApp:
    """Register an app for review; returns it with its client secret (shown once)."""
    reg = parse_model(AppRegistration, registration, what="app registration")
    for purpose in reg.purposes:
        catalog.require_purpose(purpose)
    catalog.require_fields(reg.fields)
    for name in reg.fields:
        if catalog.fields[name].forbidden_to_third_parties:
            raise GrantRefused(
                Reason.FIELD_FORBIDDEN,
                f"field {name!r} is never released to third-party apps: remove it from the request",
            )
    moment = now or utc_now()
    secret = new_client_secret()
    notification_secret = None if reg.notification_url is None else new_notification_secret()
    app = App(
        id=new_app_id(),
        name=reg.name,
        developer=reg.developer,
        purposes=tuple(dict.fromkeys(reg.purposes)),
        fields_requested=dict(reg.fields),
        fields_approved=(),
        retention_days=reg.retention_days,
        privacy_policy_url=reg.privacy_policy_url,
        sponsor=reg.sponsor,
        funding_statement=None if reg.funding_statement is None else reg.funding_statement.strip(),
        status=AppStatus.PENDING,
        status_reason=None,
        client_id=new_client_id(),
        client_secret_hash=hash_secret(secret),
        created_at=moment,
        updated_at=moment,
        notification_url=reg.notification_url,
        notification_secret=notification_secret,
    )
    apps.add(app, actor=actor)
    return RegisteredApp(app=app, client_secret=secret, notification_secret=notification_secret)


def get_app(apps: AppStore, app_id: str) -> App:
    app = apps.get(app_id)
    if app is None:
        raise AppNotFound(app_id)
    return app


def list_apps(
    apps: AppStore,
    *,
    status: AppStatus | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[App]:
    """Apps ordered by id; ``after`` continues from the last id of the previous page."""
    return apps.page(status=status, after=after, limit=limit)


def authenticate_client(apps: AppStore, client_id: str, client_secret: str) -> App | None:
    """The app whose credentials these are, or None (no hint which half was wrong)."""
    app = apps.by_client_id(client_id)
    if app is None or not verify_secret(client_secret, app.client_secret_hash):
        return None
    return app


def rotate_client_secret(apps: AppStore, app_id: str, *, actor: Actor) -> RegisteredApp:
    """A new client secret for the app (shown once), recorded with ``actor``: the old
    secret stops authenticating at once, and tokens issued under it stop working."""
    secret = new_client_secret()
    app = apps.replace_secret(
        app_id, secret_hash=hash_secret(secret), actor=actor, at_us=to_micros(utc_now())
    )
    if app is None:
        raise AppNotFound(app_id)
    return RegisteredApp(app=app, client_secret=secret)


def approve_app(
    apps: AppStore,
    catalog: Catalog,
    app_id: str,
    *,
    actor: Actor,
    fields: Sequence[str] | None = None,
    now: datetime | None = None,
) -> App:
    """Approve a pending app for all its requested fields, or for the subset ``fields``."""
    app = get_app(apps, app_id)
    if fields is None:
        approved = list(app.fields_requested)
    else:
        approved = catalog.require_fields(fields)
        for name in approved:
            if name not in app.fields_requested:
                raise InvalidInput(
                    f"field {name!r} was not requested by app {app_id!r}: "
                    "approve only requested fields"
                )
    if not approved:
        raise InvalidInput("approve at least one field, or reject the app")
    return _transition(
        apps,
        app_id,
        from_status=(AppStatus.PENDING,),
        to_status=AppStatus.APPROVED,
        reason=None,
        event="approved",
        detail={"fields": approved},
        fields_approved=approved,
        actor=actor,
        now=now,
    )


def reject_app(
    apps: AppStore, app_id: str, *, reason: str, actor: Actor, now: datetime | None = None
) -> App:
    return _transition(
        apps,
        app_id,
        from_status=(AppStatus.PENDING,),
        to_status=AppStatus.REJECTED,
        reason=_reason(reason),
        event="rejected",
        actor=actor,
        now=now,
    )


def suspend_app(
    apps: AppStore, app_id: str, *, reason: str, actor: Actor, now: datetime | None = None
) -> App:
    """Suspend an approved app; its reads are refused from the next request on (I4)."""
    return _transition(
        apps,
        app_id,
        from_status=(AppStatus.APPROVED,),
        to_status=AppStatus.SUSPENDED,
        reason=_reason(reason),
        event="suspended",
        actor=actor,
        now=now,
    )


def reinstate_app(
    apps: AppStore,
    app_id: str,
    *,
    actor: Actor,
    reason: str | None = None,
    now: datetime | None = None,
) -> App:
    """Reinstate a suspended app (an operator's decision)."""
    return _transition(
        apps,
        app_id,
        from_status=(AppStatus.SUSPENDED,),
        to_status=AppStatus.APPROVED,
        reason=None,
        event="reinstated",
        detail={"reason": reason} if reason else {},
        actor=actor,
        now=now,
    )


def app_events_of(apps: AppStore, app_id: str) -> list[AppEvent]:
    """The review and suspension history of an app, oldest first."""
    get_app(apps, app_id)
    return apps.events(app_id)


def _transition(
    apps: AppStore,
    app_id: str,
    *,
    from_status: tuple[AppStatus, ...],
    to_status: AppStatus,
    reason: str | None,
    event: str,
    actor: Actor,
    detail: Mapping[str, Any] | None = None,
    fields_approved: Sequence[str] | None = None,
    now: datetime | None = None,
) -> App:
    event_detail = dict(detail or {})
    if reason:
        event_detail["reason"] = reason
    changed = apps.transition(
        app_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        event=event,
        detail=event_detail,
        actor=actor,
        at_us=to_micros(now or utc_now()),
        fields_approved=fields_approved,
    )
    if changed is not None:
        return changed
    current = apps.status(app_id)
    if current is None:
        raise AppNotFound(app_id)
    allowed = " or ".join(s.value for s in from_status)
    raise InvalidTransition(f"app {app_id!r} is {current}: it can be {event} only when {allowed}")


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("a reason is required")
    if len(text) > 2000:
        raise InvalidInput("the reason is longer than 2000 characters")
    return text
