"""Personal data breaches (GDPR Art. 33, 34; the FTC's 2019 order): opened by harvest
containment or by hand, with their exact scope from the ledger; the Art. 33 report, the
affected people with their Art. 34 notices (dpo, admin), and the steps — assess, notify,
close — each recorded with the acting operator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from consentgate import breach
from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.breaches import (
    BreachPublic,
    BreachSubjectsPagePublic,
    ReportPublic,
    Status,
)
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.paging import CursorQuery, LimitQuery, Page, cursor_position, page
from consentgate.authz import Action, Actor
from consentgate.clock import utc_now
from consentgate.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/v1/breaches", tags=["breaches"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(operator_may(Action.BREACHES_READ))]
Opener = Annotated[Actor, Depends(operator_may(Action.BREACHES_OPEN))]
Assessor = Annotated[Actor, Depends(operator_may(Action.BREACHES_ASSESS))]
Notifier = Annotated[Actor, Depends(operator_may(Action.BREACHES_NOTIFY))]
Closer = Annotated[Actor, Depends(operator_may(Action.BREACHES_CLOSE))]
PeopleReader = Annotated[Actor, Depends(operator_may(Action.BREACH_SUBJECTS_READ))]
BreachPath = Annotated[str, Path(min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _in_range(moment: datetime | None) -> datetime | None:
    """An aware time between 1970 and 9000, in UTC (an offset that cannot be converted is
    refused here, never an overflow later)."""
    if moment is None:
        return None
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None
    if not 1970 <= moment.year <= 9000:
        raise ValueError("must be between 1970 and 9000")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]


class BreachCreate(_Body):
    app_id: Annotated[str, Field(min_length=1, max_length=64)]
    window_start: Moment
    window_end: Moment | None = None
    discovered_at: Moment | None = None
    description: Annotated[str, Field(min_length=1, max_length=4000)]
    malicious: StrictBool = False


class AssessBody(_Body):
    notifiable: StrictBool
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class NotifyBody(_Body):
    authority: Annotated[str, Field(min_length=1, max_length=200)]
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    late_reason: Annotated[str, Field(min_length=1, max_length=4000)] | None = None


class CloseBody(_Body):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


def _public(item: breach.Breach, runtime: Runtime, *, history: bool = False) -> dict[str, Any]:
    body = item.as_dict(now=utc_now())
    if history:
        events = breach.breach_events(runtime.stores.breaches, item.id)
        body["history"] = [e.as_dict() for e in events]
    return body


def _app_name(runtime: Runtime, app_id: str) -> str:
    app = runtime.stores.apps.get(app_id)
    return app_id if app is None else app.name


@router.post("", status_code=201, response_model=BreachPublic, summary="Open a breach by hand")
def open_(body: BreachCreate, runtime: RuntimeDep, actor: Opener) -> dict[str, Any]:
    """Open a breach of an app's disclosures in a window; its scope is computed from the
    ledger at once (status ``assessing``, the authority due 72 hours after discovery)."""
    opened = breach.open_breach(
        runtime.stores,
        runtime.breach_context,
        app_id=body.app_id,
        window_start=body.window_start,
        window_end=body.window_end,
        discovered_at=body.discovered_at,
        description=body.description,
        malicious=body.malicious,
        actor=actor,
    )
    return _public(opened, runtime, history=True)


@router.get(
    "",
    response_model=Page[BreachPublic],
    summary="List breaches, oldest first",
    dependencies=[Depends(strict_query("cursor", "limit", "app_id", "status"))],
)
def list_(
    runtime: RuntimeDep,
    _: Reader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    app_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Status | None = None,
) -> dict[str, Any]:
    after = cursor_position(runtime.sealer, "breaches", cursor)
    found = breach.list_breaches(
        runtime.stores.breaches, after=after, limit=limit + 1, app_id=app_id, status=status
    )
    shown, next_cursor = page(runtime.sealer, "breaches", found, limit, lambda b: b.id)
    return {"data": [_public(b, runtime) for b in shown], "paging": {"next": next_cursor}}


@router.get(
    "/{breach_id}",
    response_model=BreachPublic,
    summary="One breach: scope, severity, clocks, history",
    dependencies=[Depends(strict_query())],
)
def show(breach_id: BreachPath, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    found = breach.get_breach(runtime.stores.breaches, breach_id)
    return _public(found, runtime, history=True)


@router.get(
    "/{breach_id}/report",
    response_model=ReportPublic,
    summary="The Art. 33(3) notification to the authority (JSON, or Markdown with format=md)",
    responses={200: {"content": {"text/markdown": {}}}},
    dependencies=[Depends(strict_query("format"))],
)
def report(
    breach_id: BreachPath,
    runtime: RuntimeDep,
    _: Reader,
    format: Literal["json", "md"] = "json",
) -> Any:
    found = breach.get_breach(runtime.stores.breaches, breach_id)
    document = breach.report(
        found,
        breach.breach_events(runtime.stores.breaches, breach_id),
        app_name=_app_name(runtime, found.app_id),
        catalog=runtime.catalog,
        policy=runtime.breach_context.policy,
        now=utc_now(),
    )
    if format == "md":
        return PlainTextResponse(
            breach.report_markdown(document), media_type="text/markdown; charset=utf-8"
        )
    return document


@router.get(
    "/{breach_id}/subjects",
    response_model=BreachSubjectsPagePublic,
    summary="The affected people still identifiable, each with their Art. 34 notice (DPO)",
    dependencies=[Depends(strict_query("cursor", "limit"))],
)
def subjects(
    breach_id: BreachPath,
    runtime: RuntimeDep,
    _: PeopleReader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"breach-subjects:{breach_id}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found, people = breach.breach_subjects(
        runtime.stores.breaches, breach_id, after=after, limit=limit + 1
    )
    shown, next_cursor = page(runtime.sealer, scope, people, limit, lambda p: p.subject_id)
    name = _app_name(runtime, found.app_id)
    context = runtime.breach_context
    return {
        "breach_id": found.id,
        "data": breach.affected_people(
            found, shown, app_name=name, catalog=context.catalog, policy=context.policy
        ),
        "paging": {"next": next_cursor},
    }


@router.post("/{breach_id}/assess", response_model=BreachPublic, summary="Decide notifiability")
def assess(
    breach_id: BreachPath, body: AssessBody, runtime: RuntimeDep, actor: Assessor
) -> dict[str, Any]:
    """Record whether the breach must be notified (``notifiable: false`` →
    ``not_notifiable``, documented under Art. 33(5))."""
    found = breach.assess(
        runtime.stores, breach_id, notifiable=body.notifiable, reason=body.reason, actor=actor
    )
    return _public(found, runtime, history=True)


@router.post(
    "/{breach_id}/notify", response_model=BreachPublic, summary="Record the authority's notice"
)
def notify(
    breach_id: BreachPath, body: NotifyBody, runtime: RuntimeDep, actor: Notifier
) -> dict[str, Any]:
    """Record that the authority was notified; after ``authority_due_at``, ``late_reason``
    is required (400 without it)."""
    found = breach.notify(
        runtime.stores,
        breach_id,
        authority=body.authority,
        reference=body.reference,
        late_reason=body.late_reason,
        actor=actor,
    )
    return _public(found, runtime, history=True)


@router.post("/{breach_id}/close", response_model=BreachPublic, summary="Close a breach")
def close(
    breach_id: BreachPath, body: CloseBody, runtime: RuntimeDep, actor: Closer
) -> dict[str, Any]:
    found = breach.close(runtime.stores, breach_id, reason=body.reason, actor=actor)
    return _public(found, runtime, history=True)
