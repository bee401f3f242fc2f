"""Operator endpoints for harvest incidents (opened by containment)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.incidents import IncidentPublic, IncidentSubjectPublic
from consentgate.api.paging import CursorQuery, LimitQuery, Page, cursor_position, page
from consentgate.authz import Action, Actor
from consentgate.breach import get_incident, incident_subject_ids, list_incidents

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(operator_may(Action.INCIDENTS_READ))]
PeopleReader = Annotated[Actor, Depends(operator_may(Action.INCIDENT_SUBJECTS_READ))]
IncidentPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "",
    response_model=Page[IncidentPublic],
    summary="List incidents, oldest first",
    dependencies=[Depends(strict_query("cursor", "limit"))],
)
def list_(
    runtime: RuntimeDep, _: Reader, cursor: CursorQuery = None, limit: LimitQuery = 100
) -> dict[str, Any]:
    after = cursor_position(runtime.sealer, "incidents", cursor)
    found = list_incidents(runtime.stores.incidents, after=after, limit=limit + 1)
    shown, next_cursor = page(runtime.sealer, "incidents", found, limit, lambda i: i.id)
    return {"data": [i.as_dict() for i in shown], "paging": {"next": next_cursor}}


@router.get(
    "/{incident_id}",
    response_model=IncidentPublic,
    summary="One incident: app, rule, evidence, subjects disclosed",
)
def show(incident_id: IncidentPath, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return get_incident(runtime.stores.incidents, incident_id).as_dict()


@router.get(
    "/{incident_id}/subjects",
    response_model=Page[IncidentSubjectPublic],
    summary="The platform ids of the subjects disclosed in the incident's window (DPO only)",
    dependencies=[Depends(strict_query("cursor", "limit"))],
)
def subjects(
    incident_id: IncidentPath,
    runtime: RuntimeDep,
    _: PeopleReader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"incident-subjects:{incident_id}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found = incident_subject_ids(
        runtime.stores.incidents, incident_id, after=after, limit=limit + 1
    )
    shown, next_cursor = page(runtime.sealer, scope, found, limit, str)
    return {"data": [{"subject_id": s} for s in shown], "paging": {"next": next_cursor}}
