"""App endpoints: the protected read path (``/v1/subjects/...``) and the app's consenting
subjects (``/v1/app/subjects``).

A well-formed single-subject read never reaches ``read_subject`` in a server: the hot read
(``api/hot_read.py``) in front of the router serves it with the same answers and hands
everything else on, so this route is the read's OpenAPI, its refusals of malformed
requests, and the reference the hot read is tested against (``create_app(hot_read=False)``).

The reads return the gateway's committed result as a dict and let FastAPI validate it
against the response model and write it in pydantic's Rust serializer (its ``dump_json``
fast path). That keeps the model on the hot read itself, not only in the OpenAPI: measured
with ``timeit`` on a typical record (four fields, two withheld), validating and writing
``SubjectRecordPublic`` costs about 2.9 µs against 1.7 µs for the untyped dict it
replaced — about 1 µs more, against some 600 µs to 7 ms of server time per read
(docs/benchmarks.md), below run-to-run noise — and is cheaper than a ``JSONResponse``
built by hand (about 5.9 µs: the standard library's ``json.dumps``). A body that drifts
from its model is refused (500, after the commit: recorded, never released)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from consentgate.api.deps import CurrentApp, RuntimeDep, TokenApp, strict_query
from consentgate.api.models.data import FriendsPublic, ScopedSubjectPublic, SubjectRecordPublic
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.paging import CursorQuery, LimitQuery, Page, cursor_position, page
from consentgate.clock import to_micros, utc_now
from consentgate.consent import LiveSubject

router = APIRouter(tags=["data (apps)"], responses=ERROR_RESPONSES)

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


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else ""


@router.get(
    "/v1/subjects/{subject_id}",
    response_model=SubjectRecordPublic,
    summary="Read one subject's record, filtered by their own consent",
    dependencies=[Depends(strict_query("fields", "purpose"))],
)
async def read_subject(
    request: Request,
    subject_id: SubjectPath,
    fields: FieldsQuery,
    purpose: PurposeQuery,
    app_id: TokenApp,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    read = await runtime.gateway.read_subject(
        app_id=app_id,
        scoped_id=subject_id,
        purpose=purpose,
        fields=fields.split(","),
        request_id=request.scope["state"]["request_id"],
        client=_client(request),
    )
    return read.as_dict()  # committed: the gateway returns nothing before the commit (I2)


@router.get(
    "/v1/subjects/{subject_id}/friends",
    response_model=FriendsPublic,
    summary="The subject's friends who themselves consented to this app, each filtered",
    dependencies=[Depends(strict_query("fields", "purpose", "cursor", "limit"))],
)
async def read_friends(
    request: Request,
    subject_id: SubjectPath,
    fields: FieldsQuery,
    purpose: PurposeQuery,
    app_id: TokenApp,
    runtime: RuntimeDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    read = await runtime.gateway.read_friends(
        app_id=app_id,
        scoped_id=subject_id,
        purpose=purpose,
        fields=fields.split(","),
        cursor=cursor,
        limit=limit,
        request_id=request.scope["state"]["request_id"],
        client=_client(request),
    )
    return read.as_dict()


@router.get(
    "/v1/app/subjects",
    response_model=Page[ScopedSubjectPublic],
    summary="The subjects with live consent to this app (app-scoped ids)",
    dependencies=[Depends(strict_query("purpose", "cursor", "limit"))],
)
def app_subjects(
    app_id: CurrentApp,
    runtime: RuntimeDep,
    purpose: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    if purpose is not None:
        runtime.catalog.require_purpose(purpose)
    scope = f"subjects:{app_id}:{purpose or ''}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found = runtime.stores.consents.live_subjects(
        app_id=app_id, purpose=purpose, after=after, limit=limit + 1, now_us=to_micros(utc_now())
    )
    shown, next_cursor = page(runtime.sealer, scope, found, limit, _subject_id)
    data = [
        {"id": runtime.sealer.scoped_id(app_id, s.subject_id), "purposes": list(s.purposes)}
        for s in shown
    ]
    return {"data": data, "paging": {"next": next_cursor}}


def _subject_id(subject: LiveSubject) -> str:
    return subject.subject_id
