"""Where apps are kept (table ``apps`` and its history ``app_events``): the ``AppStore``
protocol, its SQL implementation and an in-memory twin. Every status change is a
compare-and-set on the current status, written with its event in one transaction."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.apps.credentials import secret_version
from consentgate.apps.models import App, AppEvent, Developer, Sponsor, app_view
from consentgate.authz import Actor
from consentgate.catalog import Catalog
from consentgate.clock import from_micros, to_micros
from consentgate.policy import AppStatus, AppView
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import app_events, apps

__all__ = ["AppStore", "MemoryAppStore", "SqlAppStore"]


class AppStore(Protocol):
    def add(self, app: App, *, actor: Actor) -> None:
        """Store a newly registered app and its ``registered`` event."""
        ...

    def get(self, app_id: str) -> App | None: ...

    def by_client_id(self, client_id: str) -> App | None: ...

    def page(
        self, *, status: AppStatus | None = None, after: str | None = None, limit: int = 100
    ) -> list[App]:
        """Apps ordered by id, after the id ``after``."""
        ...

    def with_purpose(
        self,
        purpose: str,
        *,
        statuses: Collection[AppStatus],
        after: str | None = None,
        limit: int = 100,
    ) -> list[App]:
        """Apps in one of ``statuses`` that declared ``purpose``, ordered by id, after the id
        ``after`` (the political transparency register's list)."""
        ...

    def status(self, app_id: str) -> AppStatus | None: ...

    def view(self, app_id: str, catalog: Catalog) -> AppView | None:
        """What the decision looks at, and nothing else (the read path's query)."""
        ...

    def transition(
        self,
        app_id: str,
        *,
        from_status: Collection[AppStatus],
        to_status: AppStatus,
        reason: str | None,
        event: str,
        detail: Mapping[str, Any],
        actor: Actor,
        at_us: int,
        fields_approved: Sequence[str] | None = None,
    ) -> App | None:
        """Move the app to ``to_status`` if it is in one of ``from_status``, recording
        ``event``; the app afterwards, or None when it was not (or does not exist)."""
        ...

    def events(self, app_id: str) -> list[AppEvent]: ...

    def replace_secret(
        self, app_id: str, *, secret_hash: str, actor: Actor, at_us: int
    ) -> App | None:
        """Store a new client-secret hash, recording ``secret_rotated`` with ``actor``; the
        app afterwards, or None when there is no such app."""
        ...

    def secret_version(self, app_id: str) -> str | None:
        """``credentials.secret_version`` of the app's current secret (None: no app)."""
        ...

    def many(self, app_ids: Collection[str]) -> dict[str, App]:
        """The apps of ``app_ids`` that exist, by id (one query)."""
        ...

    def notification_target(self, app_id: str) -> tuple[str, str] | None:
        """The app's ``notification_url`` and signing secret (None: it has none)."""
        ...


_APP_VIEW = select(
    apps.c.id, apps.c.status, apps.c.purposes, apps.c.fields_approved, apps.c.developer
).where(apps.c.id == bindparam("app_id"))
_STATUS = select(apps.c.status).where(apps.c.id == bindparam("app_id"))
_SECRET_HASH = select(apps.c.client_secret_hash).where(apps.c.id == bindparam("app_id"))


class SqlAppStore(SqlStore):
    def add(self, app: App, *, actor: Actor) -> None:
        with self._writing() as connection:
            connection.execute(insert(apps), [_row(app)])
            _event(connection, app.id, "registered", {}, actor, to_micros(app.created_at))

    def get(self, app_id: str) -> App | None:
        with self._reading() as connection:
            return _get(connection, app_id)

    def by_client_id(self, client_id: str) -> App | None:
        with self._reading() as connection:
            row = (
                connection.execute(select(apps).where(apps.c.client_id == client_id))
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    def page(
        self, *, status: AppStatus | None = None, after: str | None = None, limit: int = 100
    ) -> list[App]:
        statement = select(apps).order_by(apps.c.id).limit(max(1, min(limit, 1000)))
        if status is not None:
            statement = statement.where(apps.c.status == status.value)
        if after is not None:
            statement = statement.where(apps.c.id > after)
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(statement).mappings()]

    def with_purpose(
        self,
        purpose: str,
        *,
        statuses: Collection[AppStatus],
        after: str | None = None,
        limit: int = 100,
    ) -> list[App]:
        # purposes is a JSON list, and JSON containment is spelt differently by each
        # database: scan the candidates in id order, a chunk at a time, and filter here
        wanted = max(1, min(limit, 1000))
        found: list[App] = []
        cursor = after
        with self._reading() as connection:
            while len(found) < wanted:
                statement = (
                    select(apps)
                    .where(apps.c.status.in_([s.value for s in statuses]))
                    .order_by(apps.c.id)
                    .limit(500)
                )
                if cursor is not None:
                    statement = statement.where(apps.c.id > cursor)
                rows = [_from_row(row) for row in connection.execute(statement).mappings()]
                if not rows:
                    break
                found += [a for a in rows if purpose in a.purposes]
                cursor = rows[-1].id
        return found[:wanted]

    def status(self, app_id: str) -> AppStatus | None:
        with self._reading() as connection:
            found = connection.execute(_STATUS, {"app_id": app_id}).scalar_one_or_none()
        return None if found is None else AppStatus(found)

    def view(self, app_id: str, catalog: Catalog) -> AppView | None:
        with self._reading() as connection:
            row = connection.execute(_APP_VIEW, {"app_id": app_id}).first()
        if row is None:
            return None
        return app_view(
            row.id,
            AppStatus(row.status),
            row.purposes,
            row.fields_approved,
            catalog,
            developer_country=_developer_country(row.developer),
        )

    def transition(
        self,
        app_id: str,
        *,
        from_status: Collection[AppStatus],
        to_status: AppStatus,
        reason: str | None,
        event: str,
        detail: Mapping[str, Any],
        actor: Actor,
        at_us: int,
        fields_approved: Sequence[str] | None = None,
    ) -> App | None:
        values: dict[str, Any] = {
            "status": to_status.value,
            "status_reason": reason,
            "updated_us": at_us,
        }
        if fields_approved is not None:
            values["fields_approved"] = list(fields_approved)
        statement = (
            update(apps)
            .where(apps.c.id == app_id, apps.c.status.in_([s.value for s in from_status]))
            .values(**values)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return None
            _event(connection, app_id, event, detail, actor, at_us)
            return _get(connection, app_id)

    def replace_secret(
        self, app_id: str, *, secret_hash: str, actor: Actor, at_us: int
    ) -> App | None:
        statement = (
            update(apps)
            .where(apps.c.id == app_id)
            .values(client_secret_hash=secret_hash, updated_us=at_us)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return None
            _event(connection, app_id, "secret_rotated", {}, actor, at_us)
            return _get(connection, app_id)

    def secret_version(self, app_id: str) -> str | None:
        with self._reading() as connection:
            found = connection.execute(_SECRET_HASH, {"app_id": app_id}).scalar_one_or_none()
        return None if found is None else secret_version(found)

    def many(self, app_ids: Collection[str]) -> dict[str, App]:
        ids = sorted(set(app_ids))
        found: dict[str, App] = {}
        with self._reading() as connection:
            for start in range(0, len(ids), 500):
                statement = select(apps).where(apps.c.id.in_(ids[start : start + 500]))
                for row in connection.execute(statement).mappings():
                    found[row["id"]] = _from_row(row)
        return found

    def notification_target(self, app_id: str) -> tuple[str, str] | None:
        statement = select(apps.c.notification_url, apps.c.notification_secret).where(
            apps.c.id == app_id
        )
        with self._reading() as connection:
            row = connection.execute(statement).first()
        if row is None or not row.notification_url or not row.notification_secret:
            return None
        return str(row.notification_url), str(row.notification_secret)

    def events(self, app_id: str) -> list[AppEvent]:
        statement = (
            select(app_events).where(app_events.c.app_id == app_id).order_by(app_events.c.seq)
        )
        with self._reading() as connection:
            return [
                AppEvent(row.event, dict(row.detail), from_micros(row.at_us), row.actor)
                for row in connection.execute(statement)
            ]


class MemoryAppStore:
    """The same, in memory (a dict of apps and their events), for fast tests."""

    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._apps: dict[str, App] = {}
        self._events: dict[str, list[AppEvent]] = {}

    def snapshot(self) -> tuple[dict[str, App], dict[str, list[AppEvent]]]:
        with self._lock:
            return dict(self._apps), copy.deepcopy(self._events)

    def restore(self, state: tuple[dict[str, App], dict[str, list[AppEvent]]]) -> None:
        with self._lock:
            self._apps, self._events = state

    def add(self, app: App, *, actor: Actor) -> None:
        with self._lock:
            if app.id in self._apps or any(
                a.client_id == app.client_id for a in self._apps.values()
            ):
                raise ValueError(f"app {app.id!r} is already stored")
            self._apps[app.id] = app
            self._events[app.id] = [AppEvent("registered", {}, app.created_at, actor.ref)]

    def get(self, app_id: str) -> App | None:
        with self._lock:
            return self._apps.get(app_id)

    def by_client_id(self, client_id: str) -> App | None:
        with self._lock:
            return next((a for a in self._apps.values() if a.client_id == client_id), None)

    def page(
        self, *, status: AppStatus | None = None, after: str | None = None, limit: int = 100
    ) -> list[App]:
        with self._lock:
            found = sorted(self._apps.values(), key=lambda a: a.id)
        found = [a for a in found if (status is None or a.status is status)]
        found = [a for a in found if after is None or a.id > after]
        return found[: max(1, min(limit, 1000))]

    def with_purpose(
        self,
        purpose: str,
        *,
        statuses: Collection[AppStatus],
        after: str | None = None,
        limit: int = 100,
    ) -> list[App]:
        with self._lock:
            found = sorted(self._apps.values(), key=lambda a: a.id)
        found = [
            a
            for a in found
            if a.status in statuses and purpose in a.purposes and (after is None or a.id > after)
        ]
        return found[: max(1, min(limit, 1000))]

    def status(self, app_id: str) -> AppStatus | None:
        app = self.get(app_id)
        return None if app is None else app.status

    def view(self, app_id: str, catalog: Catalog) -> AppView | None:
        app = self.get(app_id)
        return None if app is None else app.view(catalog)

    def transition(
        self,
        app_id: str,
        *,
        from_status: Collection[AppStatus],
        to_status: AppStatus,
        reason: str | None,
        event: str,
        detail: Mapping[str, Any],
        actor: Actor,
        at_us: int,
        fields_approved: Sequence[str] | None = None,
    ) -> App | None:
        with self._lock:
            app = self._apps.get(app_id)
            if app is None or app.status not in from_status:
                return None
            changed = dataclasses.replace(
                app,
                status=to_status,
                status_reason=reason,
                updated_at=from_micros(at_us),
                fields_approved=app.fields_approved
                if fields_approved is None
                else tuple(fields_approved),
            )
            self._apps[app_id] = changed
            self._events[app_id].append(
                AppEvent(event, dict(detail), from_micros(at_us), actor.ref)
            )
            return changed

    def events(self, app_id: str) -> list[AppEvent]:
        with self._lock:
            return list(self._events.get(app_id, []))

    def replace_secret(
        self, app_id: str, *, secret_hash: str, actor: Actor, at_us: int
    ) -> App | None:
        with self._lock:
            app = self._apps.get(app_id)
            if app is None:
                return None
            changed = dataclasses.replace(
                app, client_secret_hash=secret_hash, updated_at=from_micros(at_us)
            )
            self._apps[app_id] = changed
            self._events[app_id].append(
                AppEvent("secret_rotated", {}, from_micros(at_us), actor.ref)
            )
            return changed

    def secret_version(self, app_id: str) -> str | None:
        app = self.get(app_id)
        return None if app is None else secret_version(app.client_secret_hash)

    def many(self, app_ids: Collection[str]) -> dict[str, App]:
        with self._lock:
            return {a: self._apps[a] for a in app_ids if a in self._apps}

    def notification_target(self, app_id: str) -> tuple[str, str] | None:
        app = self.get(app_id)
        if app is None or not app.notification_url or not app.notification_secret:
            return None
        return app.notification_url, app.notification_secret


def _get(connection: Connection, app_id: str) -> App | None:
    row = connection.execute(select(apps).where(apps.c.id == app_id)).mappings().first()
    return None if row is None else _from_row(row)


def _event(
    connection: Connection,
    app_id: str,
    event: str,
    detail: Mapping[str, Any],
    actor: Actor,
    moment: int,
) -> None:
    connection.execute(
        insert(app_events),
        [
            {
                "app_id": app_id,
                "event": event,
                "detail": dict(detail),
                "at_us": moment,
                "actor": actor.ref,
            }
        ],
    )


def _row(app: App) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "developer": app.developer.model_dump(),
        "purposes": list(app.purposes),
        "fields_requested": dict(app.fields_requested),
        "fields_approved": list(app.fields_approved),
        "retention_days": app.retention_days,
        "privacy_policy_url": app.privacy_policy_url,
        "sponsor": None if app.sponsor is None else app.sponsor.model_dump(),
        "funding_statement": app.funding_statement,
        "status": app.status.value,
        "status_reason": app.status_reason,
        "client_id": app.client_id,
        "client_secret_hash": app.client_secret_hash,
        "created_us": to_micros(app.created_at),
        "updated_us": to_micros(app.updated_at),
        "notification_url": app.notification_url,
        "notification_secret": app.notification_secret,
    }


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
        notification_url=row["notification_url"],
        notification_secret=row["notification_secret"],
        sponsor=None if row["sponsor"] is None else Sponsor.model_validate(row["sponsor"]),
        funding_statement=row["funding_statement"],
    )


def _developer_country(developer: Any) -> str | None:
    """The developer's ISO country from the stored developer object (None if it has none)."""
    country = developer.get("country") if isinstance(developer, Mapping) else None
    return country if isinstance(country, str) and country else None
