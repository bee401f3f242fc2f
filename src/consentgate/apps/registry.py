"""The app registry: registration, review (approve all or a subset, reject), suspension.

State machine (every change is a compare-and-set on the current status, and an app event):

    pending ──approve──► approved ──suspend──► suspended
       │                    ▲                      │
       └──reject──► rejected └──────reinstate──────┘
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.apps.credentials import (
    hash_secret,
    new_app_id,
    new_client_id,
    new_client_secret,
    verify_secret,
)
from consentgate.catalog import Catalog
from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.detect.incidents import close_incidents
from consentgate.errors import (
    AppNotFound,
    GrantRefused,
    InvalidInput,
    InvalidTransition,
)
from consentgate.policy import AppStatus, AppView, Reason
from consentgate.storage.tables import app_events, apps
from consentgate.validation import parse_model

__all__ = [
    "App",
    "AppRegistration",
    "Developer",
    "RegisteredApp",
    "app_events_of",
    "approve_app",
    "authenticate_client",
    "get_app",
    "list_apps",
    "load_app_view",
    "register_app",
    "reinstate_app",
    "reject_app",
    "suspend_app",
]

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Developer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(pattern=_EMAIL, max_length=320)]
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
    retention_days: Annotated[int, Field(ge=1, le=3650)]
    privacy_policy_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]

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

    def view(self, catalog: Catalog) -> AppView:
        """The app as the decision sees it."""
        return _view(self.id, self.status, self.purposes, self.fields_approved, catalog)

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
            "status": str(self.status),
            "status_reason": self.status_reason,
            "client_id": self.client_id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    app: App
    client_secret: str


def register_app(
    engine: Engine,
    catalog: Catalog,
    registration: AppRegistration | Mapping[str, Any],
    *,
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
    moment = to_micros(now or utc_now())
    secret = new_client_secret()
    app_id = new_app_id()
    row: dict[str, Any] = {
        "id": app_id,
        "name": reg.name,
        "developer": reg.developer.model_dump(),
        "purposes": list(dict.fromkeys(reg.purposes)),
        "fields_requested": dict(reg.fields),
        "fields_approved": [],
        "retention_days": reg.retention_days,
        "privacy_policy_url": reg.privacy_policy_url,
        "status": AppStatus.PENDING.value,
        "status_reason": None,
        "client_id": new_client_id(),
        "client_secret_hash": hash_secret(secret),
        "created_us": moment,
        "updated_us": moment,
    }
    with engine.begin() as connection:
        connection.execute(insert(apps), [row])
        _event(connection, app_id, "registered", {}, moment)
    return RegisteredApp(app=_from_row(row), client_secret=secret)


def get_app(engine: Engine, app_id: str) -> App:
    with engine.connect() as connection:
        row = connection.execute(select(apps).where(apps.c.id == app_id)).mappings().first()
    if row is None:
        raise AppNotFound(app_id)
    return _from_row(row)


def list_apps(
    engine: Engine,
    *,
    status: AppStatus | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[App]:
    """Apps ordered by id; ``after`` continues from the last id of the previous page."""
    statement = select(apps).order_by(apps.c.id).limit(max(1, min(limit, 1000)))
    if status is not None:
        statement = statement.where(apps.c.status == status.value)
    if after is not None:
        statement = statement.where(apps.c.id > after)
    with engine.connect() as connection:
        return [_from_row(row) for row in connection.execute(statement).mappings()]


# the read path loads only what the decision looks at
_APP_VIEW = select(apps.c.id, apps.c.status, apps.c.purposes, apps.c.fields_approved).where(
    apps.c.id == bindparam("app_id")
)


def load_app_view(connection: Connection, app_id: str, catalog: Catalog) -> AppView | None:
    """The app as the decision sees it, read on ``connection``; None when there is none."""
    row = connection.execute(_APP_VIEW, {"app_id": app_id}).first()
    if row is None:
        return None
    return _view(row.id, AppStatus(row.status), row.purposes, row.fields_approved, catalog)


def _view(
    app_id: str,
    status: AppStatus,
    purposes: Sequence[str],
    fields_approved: Sequence[str],
    catalog: Catalog,
) -> AppView:
    approved = [name for name in fields_approved if name in catalog.field_bits]
    return AppView(
        id=app_id, status=status, purposes=frozenset(purposes), approved_mask=catalog.mask(approved)
    )


def authenticate_client(engine: Engine, client_id: str, client_secret: str) -> App | None:
    """The app whose credentials these are, or None (no hint which half was wrong)."""
    with engine.connect() as connection:
        row = (
            connection.execute(select(apps).where(apps.c.client_id == client_id)).mappings().first()
        )
    if row is None or not verify_secret(client_secret, row["client_secret_hash"]):
        return None
    return _from_row(row)


def approve_app(
    engine: Engine,
    catalog: Catalog,
    app_id: str,
    *,
    fields: Sequence[str] | None = None,
    now: datetime | None = None,
) -> App:
    """Approve a pending app for all its requested fields, or for the subset ``fields``."""
    app = get_app(engine, app_id)
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
        engine,
        app_id,
        from_status=(AppStatus.PENDING,),
        to_status=AppStatus.APPROVED,
        reason=None,
        changes={"fields_approved": approved},
        event="approved",
        detail={"fields": approved},
        now=now,
    )


def reject_app(engine: Engine, app_id: str, *, reason: str, now: datetime | None = None) -> App:
    return _transition(
        engine,
        app_id,
        from_status=(AppStatus.PENDING,),
        to_status=AppStatus.REJECTED,
        reason=_reason(reason),
        event="rejected",
        now=now,
    )


def suspend_app(engine: Engine, app_id: str, *, reason: str, now: datetime | None = None) -> App:
    """Suspend an approved app; its reads are refused from the next request on (I4)."""
    return _transition(
        engine,
        app_id,
        from_status=(AppStatus.APPROVED,),
        to_status=AppStatus.SUSPENDED,
        reason=_reason(reason),
        event="suspended",
        now=now,
    )


def reinstate_app(
    engine: Engine, app_id: str, *, reason: str | None = None, now: datetime | None = None
) -> App:
    """Reinstate a suspended app (an operator's decision); its open incidents close."""
    moment = now or utc_now()
    app = _transition(
        engine,
        app_id,
        from_status=(AppStatus.SUSPENDED,),
        to_status=AppStatus.APPROVED,
        reason=None,
        event="reinstated",
        detail={"reason": reason} if reason else {},
        now=moment,
    )
    with engine.begin() as connection:
        close_incidents(connection, app_id, at=moment)
    return app


def app_events_of(engine: Engine, app_id: str) -> list[dict[str, Any]]:
    """The review and suspension history of an app, oldest first."""
    get_app(engine, app_id)
    statement = select(app_events).where(app_events.c.app_id == app_id).order_by(app_events.c.seq)
    with engine.connect() as connection:
        return [
            {"event": row.event, "detail": row.detail, "at": from_micros(row.at_us).isoformat()}
            for row in connection.execute(statement)
        ]


def _transition(
    engine: Engine,
    app_id: str,
    *,
    from_status: tuple[AppStatus, ...],
    to_status: AppStatus,
    reason: str | None,
    event: str,
    changes: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> App:
    moment = to_micros(now or utc_now())
    values = {"status": to_status.value, "status_reason": reason, "updated_us": moment}
    values.update(changes or {})
    statement = (
        update(apps)
        .where(apps.c.id == app_id, apps.c.status.in_([s.value for s in from_status]))
        .values(**values)
    )
    with engine.begin() as connection:
        if connection.execute(statement).rowcount != 1:
            current = connection.execute(
                select(apps.c.status).where(apps.c.id == app_id)
            ).scalar_one_or_none()
            if current is None:
                raise AppNotFound(app_id)
            allowed = " or ".join(s.value for s in from_status)
            raise InvalidTransition(
                f"app {app_id!r} is {current}: it can be {event} only when {allowed}"
            )
        event_detail = dict(detail or {})
        if reason:
            event_detail["reason"] = reason
        _event(connection, app_id, event, event_detail, moment)
    return get_app(engine, app_id)


def _event(
    connection: Connection, app_id: str, event: str, detail: Mapping[str, Any], moment: int
) -> None:
    connection.execute(
        insert(app_events),
        [{"app_id": app_id, "event": event, "detail": dict(detail), "at_us": moment}],
    )


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("a reason is required")
    if len(text) > 2000:
        raise InvalidInput("the reason is longer than 2000 characters")
    return text


def _from_row(row: Mapping[Any, Any]) -> App:
    return App(
        id=row["id"],
        name=row["name"],
        developer=Developer.model_validate(row["developer"]),
        purposes=tuple(row["purposes"]),
        fields_requested=dict(row["fields_requested"]),
        fields_approved=tuple(row["fields_approved"]),
        retention_days=row["retention_days"],
        privacy_policy_url=row["privacy_policy_url"],
        status=AppStatus(row["status"]),
        status_reason=row["status_reason"],
        client_id=row["client_id"],
        client_secret_hash=row["client_secret_hash"],
        created_at=from_micros(row["created_us"]),
        updated_at=from_micros(row["updated_us"]),
    )
