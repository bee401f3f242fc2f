"""Operator endpoints for rights requests: the queue (filters, ``overdue``), one request,
a request on a person's behalf, and the steps — extend, reject, lift. Each step records the
acting operator key in the request's history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.rights import OperatorRequestPage, OperatorRequestPublic
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position, page
from consentgate.authz import Action, Actor
from consentgate.errors import InvalidInput
from consentgate.rights import OperatorRequestBody, RequestStatus, RequestType, RightsRequest
from consentgate.runtime import Runtime

router = APIRouter(
    prefix="/v1/requests", tags=["rights requests (operators)"], responses=ERROR_RESPONSES
)

Reader = Annotated[Actor, Depends(operator_may(Action.REQUESTS_READ))]
Creator = Annotated[Actor, Depends(operator_may(Action.REQUESTS_CREATE))]
Extender = Annotated[Actor, Depends(operator_may(Action.REQUESTS_EXTEND))]
Rejecter = Annotated[Actor, Depends(operator_may(Action.REQUESTS_REJECT))]
Lifter = Annotated[Actor, Depends(operator_may(Action.REQUESTS_LIFT))]
RequestPath = Annotated[str, Path(min_length=1, max_length=64)]


class ExtendBody(BaseModel):
    """``months`` (1 or 2) for a row counted in months (EU/EEA, UK), ``days`` for one
    counted in days (US): one of the two, as the person's country row counts."""

    model_config = ConfigDict(extra="forbid", strict=True)
    months: Annotated[int, Field(ge=1, le=2)] | None = None
    days: Annotated[int, Field(ge=1, le=366)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


def _operator_view(runtime: Runtime, request: RightsRequest) -> dict[str, Any]:
    return runtime.rights.as_dict(request, operator=True)


@router.get(
    "",
    summary="The rights-request queue",
    dependencies=[Depends(strict_query("status", "type", "overdue", "cursor", "limit"))],
    response_model=OperatorRequestPage,
)
def queue(
    runtime: RuntimeDep,
    _: Reader,
    status: Annotated[RequestStatus | None, Query()] = None,
    type: Annotated[RequestType | None, Query()] = None,
    overdue: Annotated[Literal["true", "false"] | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"requests:{status}:{type}:{overdue}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found = runtime.rights.page(
        status=status, type=type, overdue=overdue == "true", after=after, limit=limit + 1
    )
    shown, next_cursor = page(runtime.sealer, scope, found, limit, lambda r: r.id)
    return {
        "data": [_operator_view(runtime, r) for r in shown],
        "paging": {"next": next_cursor},
    }


@router.post(
    "",
    status_code=201,
    summary="Record a request on a person's behalf (identity verified by the operator)",
    response_model=OperatorRequestPublic,
)
def create(
    body: Annotated[OperatorRequestBody, Body()], runtime: RuntimeDep, actor: Creator
) -> dict[str, Any]:
    request = runtime.rights.submit(
        body.subject_id, body, actor=actor, verified_by=body.verified_by
    )
    return _operator_view(runtime, request)


@router.get("/{request_id}", summary="One rights request", response_model=OperatorRequestPublic)
def show(request_id: RequestPath, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return _operator_view(runtime, runtime.rights.get(request_id))


@router.post(
    "/{request_id}/extend",
    summary="Extend the deadline once, before due_at (Art. 12(3))",
    response_model=OperatorRequestPublic,
)
def extend(
    request_id: RequestPath, body: ExtendBody, runtime: RuntimeDep, actor: Extender
) -> dict[str, Any]:
    rights = runtime.rights
    request = rights.get(request_id)
    unit = runtime.catalog.deadline(request.country).unit
    by = body.months if unit == "months" else body.days
    other = body.days if unit == "months" else body.months
    if by is None or other is not None:
        raise InvalidInput(
            f"this request's deadline counts in {unit}: give {unit!r} (and only that)"
        )
    extended = rights.extend(request_id, by=by, reason=body.reason, actor=actor)
    return _operator_view(runtime, extended)


@router.post(
    "/{request_id}/reject",
    summary="Refuse a request (Art. 12(5)), with the reason",
    response_model=OperatorRequestPublic,
)
def reject(
    request_id: RequestPath, body: ReasonBody, runtime: RuntimeDep, actor: Rejecter
) -> dict[str, Any]:
    return _operator_view(
        runtime, runtime.rights.reject(request_id, reason=body.reason, actor=actor)
    )


@router.post(
    "/{request_id}/lift",
    summary="Lift a restriction: the request is completed",
    response_model=OperatorRequestPublic,
)
def lift(request_id: RequestPath, runtime: RuntimeDep, actor: Lifter) -> dict[str, Any]:
    return _operator_view(runtime, runtime.rights.lift(request_id, actor=actor))
