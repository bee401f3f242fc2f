"""App endpoints: the protected read path (``/v1/app/subjects``, ``/v1/subjects/...``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from consentgate.api.deps import CurrentApp, ServicesDep, TokenApp, strict_query
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position, page
from consentgate.clock import to_micros, utc_now
from consentgate.consent import LiveSubject
from consentgate.detect import ReadEvent
from consentgate.errors import InvalidInput, UnknownField, UnknownPurpose
from consentgate.gateway.read import PreparedRead

router = APIRouter(tags=["data (apps)"])

FieldsQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=1000,
        description="Comma-separated catalog field names",
        pattern=r"^[a-z0-9_]+(,[a-z0-9_]+)*$",
    ),
]
PurposeQuery = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
SubjectPath = Annotated[str, Path(min_length=1, max_length=256)]


def _fields(services: ServicesDep, fields: str) -> list[str]:
    names = fields.split(",")
    if len(names) > 64:
        raise InvalidInput("at most 64 fields per read")
    return services.runtime.catalog.require_fields(names)


async def _single_read(services: ServicesDep, read: Callable[[], PreparedRead]) -> PreparedRead:
    """A single-subject read. On SQLite it runs here, on the event loop: its four point
    queries are a few hundred microseconds of in-process work (WAL readers never wait for
    the writer), and handing them to a worker thread cost more than the work — every SQLite
    call gives up the interpreter lock and then waits to get it back among forty threads
    (figures in docs/benchmarks.md). The one write that can happen here is a containment
    (the detector suspending the app): it waits for whatever write holds the database at
    that moment, usually a group commit or an integration of a few milliseconds.
    On PostgreSQL each query is a network round trip, so it goes to a worker thread, as the
    friends read does everywhere (one read there can run many queries)."""
    if services.runtime.db.is_sqlite:
        return read()
    return await run_in_threadpool(read)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else ""


async def _checked(
    request: Request, services: ServicesDep, app_id: str, purpose: str, fields: str
) -> list[str]:
    """The requested field names; unknown field or purpose names are refused with 400, and
    the detector is told (asking for names outside the catalog is probing too)."""
    try:
        services.runtime.catalog.require_purpose(purpose)
        return _fields(services, fields)
    except (UnknownField, UnknownPurpose):
        if services.watch is not None:
            catalog = services.runtime.catalog
            event = ReadEvent(
                app_id=app_id,
                at=utc_now().timestamp(),
                source=_client(request),
                purpose=purpose[:64],
                unknown_fields=tuple(f for f in fields.split(",")[:64] if f not in catalog.fields),
                unknown_purpose=purpose not in catalog.purposes,
            )
            await run_in_threadpool(services.watch.observe, event)
        raise


@router.get(
    "/v1/subjects/{subject_id}",
    summary="Read one subject's record, filtered by their own consent",
    dependencies=[Depends(strict_query("fields", "purpose"))],
)
async def read_subject(
    request: Request,
    subject_id: SubjectPath,
    fields: FieldsQuery,
    purpose: PurposeQuery,
    app_id: TokenApp,
    services: ServicesDep,
) -> dict[str, Any]:
    names = await _checked(request, services, app_id, purpose, fields)
    prepared = await _single_read(
        services,
        functools.partial(
            services.reads.subject,
            app_id=app_id,
            scoped_id=subject_id,
            purpose=purpose,
            fields=names,
            request_id=request.scope["state"]["request_id"],
            now=utc_now(),
            client=_client(request),
        ),
    )
    await services.recorder.record(prepared.disclosures)  # I2: committed before it leaves
    return prepared.body


@router.get(
    "/v1/subjects/{subject_id}/friends",
    summary="The subject's friends who themselves consented to this app, each filtered",
    dependencies=[Depends(strict_query("fields", "purpose", "cursor", "limit"))],
)
async def read_friends(
    request: Request,
    subject_id: SubjectPath,
    fields: FieldsQuery,
    purpose: PurposeQuery,
    app_id: TokenApp,
    services: ServicesDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    names = await _checked(request, services, app_id, purpose, fields)
    prepared = await run_in_threadpool(
        services.reads.friends,
        app_id=app_id,
        scoped_id=subject_id,
        purpose=purpose,
        fields=names,
        cursor=cursor,
        limit=limit,
        request_id=request.scope["state"]["request_id"],
        now=utc_now(),
        client=_client(request),
    )
    await services.recorder.record(prepared.disclosures)
    return prepared.body


@router.get(
    "/v1/app/subjects",
    summary="The subjects with live consent to this app (app-scoped ids)",
    dependencies=[Depends(strict_query("purpose", "cursor", "limit"))],
)
def app_subjects(
    app_id: CurrentApp,
    services: ServicesDep,
    purpose: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    if purpose is not None:
        services.runtime.catalog.require_purpose(purpose)
    scope = f"subjects:{app_id}:{purpose or ''}"
    after = cursor_position(services.sealer, scope, cursor)
    found = services.runtime.stores.consents.live_subjects(
        app_id=app_id, purpose=purpose, after=after, limit=limit + 1, now_us=to_micros(utc_now())
    )
    shown, next_cursor = page(services.sealer, scope, found, limit, _subject_id)
    data = [
        {"id": services.sealer.scoped_id(app_id, s.subject_id), "purposes": list(s.purposes)}
        for s in shown
    ]
    return {"data": data, "paging": {"next": next_cursor}}


def _subject_id(subject: LiveSubject) -> str:
    return subject.subject_id
