"""The console's other pages: the requests queue (due, overdue, extend, reject), incidents
with their evidence, breaches with the 72-hour clock and the Art. 33 report to download,
the ledger (latest checkpoint, verify now, "Disclosures per day" per app over 30 days) and
the records of processing (Art. 30, CSV to download). The library calls are the API's
(``/v1/requests``, ``/v1/incidents``, ``/v1/breaches``, ``/v1/ledger``,
``/v1/records-of-processing``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from consentgate import breach
from consentgate.authz import Action
from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.consent import daily_activity
from consentgate.errors import InvalidInput
from consentgate.ledger import daily_disclosures
from consentgate.ledger.fsck import check_database
from consentgate.rights.models import OPEN, RightsRequest
from consentgate.runtime import Runtime
from consentgate.web.auth import operator, runtime_of
from consentgate.web.charts import stacked_bars
from consentgate.web.pages import render, see_other, session_and_form

__all__ = ["queue_order", "router"]

router = APIRouter(prefix="/console", include_in_schema=False)
CHART_DAYS = 30


def _all(fetch: Any, *, key: Any) -> list[Any]:
    """Every item of a paged library listing (``fetch(after=, limit=)``)."""
    found: list[Any] = []
    after = None
    while True:
        page = fetch(after=after, limit=500)
        found += page
        if len(page) < 500:
            return found
        after = key(page[-1])


def _app_name(runtime: Runtime, app_id: str) -> str:
    app = runtime.stores.apps.get(app_id)
    return app_id if app is None else app.name


def _text(form: Any, name: str, what: str) -> str:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"give {what}")
    if len(text) > 2000:
        raise InvalidInput(f"{what} is at most 2000 characters")
    return text


# --- requests -----------------------------------------------------------------------------


def queue_order(requests: list[RightsRequest], now: datetime) -> list[RightsRequest]:
    """Overdue first, then the open ones, then the closed, each by deadline."""
    return sorted(requests, key=lambda r: (not r.overdue(now), r.status not in OPEN, r.deadline))


@router.get("/requests")
def requests_queue(request: Request) -> Response:
    visit = operator(request, Action.REQUESTS_READ)
    rights = runtime_of(request).rights
    now = utc_now()
    found = _all(lambda **kw: rights.page(**kw), key=lambda r: r.id)
    return render(
        request,
        "console/requests.html",
        {"requests": queue_order(found, now), "now": now},
        session=visit.session,
    )


@router.get("/requests/{request_id}")
def request_page(request_id: str, request: Request) -> Response:
    visit = operator(request, Action.REQUESTS_READ)
    runtime = runtime_of(request)
    found = runtime.rights.get(request_id)
    unit = runtime.catalog.deadline(found.country).unit
    return render(
        request,
        "console/request.html",
        {"r": found, "now": utc_now(), "unit": unit},
        session=visit.session,
    )


@router.post("/requests/{request_id}/extend")
async def extend(request_id: str, request: Request) -> Response:
    visit = operator(request, Action.REQUESTS_EXTEND)
    form = await session_and_form(request, visit.session)
    by = form.get("by")
    if not isinstance(by, str) or not by.isdigit() or not 1 <= int(by) <= 365:
        raise InvalidInput("extend by a whole number from 1")
    reason = _text(form, "reason", "a reason for the extension")
    runtime_of(request).rights.extend(request_id, by=int(by), reason=reason, actor=visit.actor)
    return see_other(f"/console/requests/{request_id}")


@router.post("/requests/{request_id}/reject")
async def reject(request_id: str, request: Request) -> Response:
    visit = operator(request, Action.REQUESTS_REJECT)
    form = await session_and_form(request, visit.session)
    reason = _text(form, "reason", "a reason for the rejection")
    runtime_of(request).rights.reject(request_id, reason=reason, actor=visit.actor)
    return see_other(f"/console/requests/{request_id}")


# --- incidents and breaches -------------------------------------------------------------


@router.get("/incidents")
def incidents(request: Request) -> Response:
    visit = operator(request, Action.INCIDENTS_READ)
    runtime = runtime_of(request)
    found = _all(
        lambda **kw: breach.list_incidents(runtime.stores.incidents, **kw), key=lambda i: i.id
    )
    names = {i.app_id: _app_name(runtime, i.app_id) for i in found}
    return render(
        request,
        "console/incidents.html",
        {"incidents": found[::-1], "names": names},
        session=visit.session,
    )


@router.get("/breaches")
def breaches(request: Request) -> Response:
    visit = operator(request, Action.BREACHES_READ)
    runtime = runtime_of(request)
    found = _all(
        lambda **kw: breach.list_breaches(runtime.stores.breaches, **kw), key=lambda b: b.id
    )
    now = utc_now()
    shown = [{"b": b, "clock": b.clock(now), "app": _app_name(runtime, b.app_id)} for b in found]
    return render(
        request, "console/breaches.html", {"breaches": shown[::-1]}, session=visit.session
    )


@router.get("/breaches/{breach_id}/report")
def breach_report(breach_id: str, request: Request) -> Response:
    operator(request, Action.BREACHES_READ)
    runtime = runtime_of(request)
    found = breach.get_breach(runtime.stores.breaches, breach_id)
    document = breach.report(
        found,
        breach.breach_events(runtime.stores.breaches, breach_id),
        app_name=_app_name(runtime, found.app_id),
        catalog=runtime.catalog,
        policy=runtime.breach_context.policy,
        now=utc_now(),
    )
    return PlainTextResponse(
        breach.report_markdown(document),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.id}-art33-report.md"'},
    )


# --- the ledger and the records of processing ------------------------------------------


def _chart(runtime: Runtime) -> tuple[Any, list[Any], list[dict[str, Any]]]:
    """ "Disclosures per day" per app over the last ``CHART_DAYS`` UTC days."""
    today = utc_now().date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    start = from_micros(to_micros(utc_now())).replace(hour=0, minute=0, second=0, microsecond=0)
    start_us = to_micros(start - timedelta(days=CHART_DAYS - 1))
    rows = runtime.stores.ledger.rows(0, start_us=start_us, end_us=to_micros(utc_now()) + 1)
    counts = daily_disclosures(row.data for row in rows)
    names = {app_id: _app_name(runtime, app_id) for app_id in counts}
    chart = stacked_bars(days, counts, names)
    table = [
        {
            "app": names[a],
            "days": [counts[a].get(d, 0) for d in days],
            "total": sum(counts[a].values()),
        }
        for a in sorted(counts, key=lambda a: names[a])
    ]
    return chart, days, table


def _consent_chart(runtime: Runtime, days: list[Any]) -> tuple[Any, list[dict[str, Any]]]:
    """ "Consents granted and withdrawn per day" over the same days."""
    counts = daily_activity(runtime.stores.consents, since=days[0], until=days[-1])
    names = {"granted": "Granted", "withdrawn": "Withdrawn"}
    chart = stacked_bars(days, counts, names)
    table = [
        {
            "app": names[k],
            "days": [counts[k].get(d, 0) for d in days],
            "total": sum(counts[k].values()),
        }
        for k in ("granted", "withdrawn")
    ]
    return chart, table


@router.get("/ledger")
def ledger(request: Request) -> Response:
    visit = operator(request, Action.LEDGER_LEAVES_READ)
    runtime = runtime_of(request)
    chart, days, table = _chart(runtime)
    consents_chart, consents_table = _consent_chart(runtime, days)
    return render(
        request,
        "console/ledger.html",
        {
            "consents_chart": consents_chart,
            "consents_table": consents_table,
            "checkpoint": runtime.stores.ledger.checkpoint(),
            "note": runtime.stores.ledger.latest_note(),
            "signed_at": runtime.stores.ledger.checkpoint_signed_at(),
            "chart": chart,
            "days": days,
            "table": table,
            "result": None,
        },
        session=visit.session,
    )


@router.post("/ledger/verify")
async def verify_now(request: Request) -> Response:
    visit = operator(request, Action.LEDGER_LEAVES_READ)
    await session_and_form(request, visit.session)
    runtime = runtime_of(request)
    result = await anyio.to_thread.run_sync(
        lambda: check_database(runtime.db, runtime.stores.ledger.verifier)
    )
    chart, days, table = _chart(runtime)
    consents_chart, consents_table = _consent_chart(runtime, days)
    return render(
        request,
        "console/ledger.html",
        {
            "consents_chart": consents_chart,
            "consents_table": consents_table,
            "checkpoint": runtime.stores.ledger.checkpoint(),
            "note": runtime.stores.ledger.latest_note(),
            "signed_at": runtime.stores.ledger.checkpoint_signed_at(),
            "chart": chart,
            "days": days,
            "table": table,
            "result": result,
        },
        session=visit.session,
    )


def _records(runtime: Runtime) -> dict[str, Any]:
    return breach.records_of_processing(
        apps=runtime.stores.apps,
        ledger=runtime.stores.ledger,
        engine=runtime.breach_context.engine,
        catalog=runtime.catalog,
        policy=runtime.breach_context.policy,
        now=utc_now(),
    )


@router.get("/records")
def records(request: Request) -> Response:
    visit = operator(request, Action.RECORDS_READ)
    register = _records(runtime_of(request))
    return render(request, "console/records.html", {"register": register}, session=visit.session)


@router.get("/records.csv")
def records_csv(request: Request) -> Response:
    operator(request, Action.RECORDS_READ)
    register = _records(runtime_of(request))
    return PlainTextResponse(
        breach.records_csv(register),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="records-of-processing.csv"'},
    )
