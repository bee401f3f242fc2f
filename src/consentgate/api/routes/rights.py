"""Data-subject rights (subject token): my requests, my export, lifting my restriction and
withdrawing my objections; and what this deployment can do for a request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Body, Depends, Path, Query, Response

from consentgate.api.deps import CurrentSubject, RuntimeDep, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.rights import (
    CapabilitiesPublic,
    ExportPublic,
    RequestPage,
    RequestPublic,
)
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position, page
from consentgate.authz import Actor
from consentgate.rights import RequestBody, export_csv, export_subject

router = APIRouter(tags=["data subject rights"], responses=ERROR_RESPONSES)
Paging = [Depends(strict_query("cursor", "limit"))]
RequestPath = Annotated[str, Path(min_length=1, max_length=64)]
PurposePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "/v1/me/requests",
    status_code=201,
    summary="Exercise a right (access, portability, rectification, restriction, objection, "
    "erasure)",
    response_model=RequestPublic,
)
def submit(
    body: Annotated[RequestBody, Body()], subject: CurrentSubject, runtime: RuntimeDep
) -> dict[str, Any]:
    rights = runtime.rights
    request = rights.submit(subject, body, actor=Actor.subject(subject))
    return rights.as_dict(request)


@router.get(
    "/v1/me/requests",
    summary="My rights requests",
    dependencies=Paging,
    response_model=RequestPage,
)
def my_requests(
    subject: CurrentSubject,
    runtime: RuntimeDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"requests:{subject}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found = runtime.rights.page(subject_id=subject, after=after, limit=limit + 1)
    shown, next_cursor = page(runtime.sealer, scope, found, limit, lambda r: r.id)
    return {
        "data": [runtime.rights.as_dict(r) for r in shown],
        "paging": {"next": next_cursor},
    }


@router.get(
    "/v1/me/requests/{request_id}",
    summary="One of my rights requests",
    response_model=RequestPublic,
)
def my_request(
    request_id: RequestPath, subject: CurrentSubject, runtime: RuntimeDep
) -> dict[str, Any]:
    rights = runtime.rights
    return rights.as_dict(rights.get(request_id, subject_id=subject))


@router.get(
    "/v1/me/export",
    summary="A copy of my data (Art. 15 / 20): JSON, or a zip of one CSV per section",
    dependencies=[Depends(strict_query("format"))],
    response_model=ExportPublic,
    responses={200: {"content": {"application/zip": {}}}},
)
async def export(
    subject: CurrentSubject,
    runtime: RuntimeDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Recorded in the ledger (an ``access`` entry to the platform itself) before it is
    sent (I2)."""
    document = await export_subject(
        runtime.rights,
        runtime.gateway,
        subject,
        purpose="portability" if format == "csv" else "access",
    )
    if format == "csv":
        content = await anyio.to_thread.run_sync(export_csv, document)
        return Response(
            content,
            media_type="application/zip",
            headers={
                **NO_STORE,
                "Content-Disposition": 'attachment; filename="consentgate-export.zip"',
            },
        )
    return _no_store(ExportPublic.model_validate(document))


@router.delete(
    "/v1/me/restriction",
    status_code=204,
    summary="Lift my restriction of processing",
    response_class=Response,
)
def lift_restriction(subject: CurrentSubject, runtime: RuntimeDep) -> Response:
    runtime.rights.lift_own_restriction(subject)
    return Response(status_code=204)


@router.delete(
    "/v1/me/objections/{purpose}",
    status_code=204,
    summary="Withdraw my objection to a purpose",
    response_class=Response,
)
def withdraw_objection(
    purpose: PurposePath, subject: CurrentSubject, runtime: RuntimeDep
) -> Response:
    runtime.catalog.require_purpose(purpose)
    runtime.rights.withdraw_objection(subject, purpose)
    return Response(status_code=204)


@router.get(
    "/v1/rights/capabilities",
    summary="What this deployment can do for a rights request (the source's writes)",
    response_model=CapabilitiesPublic,
)
async def capabilities(runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.rights.capabilities()


def _no_store(model: ExportPublic) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", headers=NO_STORE)
