"""The DPO console (``/console``): sign in with an operator key; app review — pending apps
first, approve all requested fields or a subset, reject, suspend and reinstate with a
reason. Each page names the ``authz`` action it needs, as the API's routes do; the library
calls are the API's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from consentgate import breach
from consentgate.apps import approve_app, get_app, list_apps, reject_app, suspend_app
from consentgate.authz import Action
from consentgate.errors import InvalidInput
from consentgate.operators import find_operator
from consentgate.policy import AppStatus
from consentgate.web.auth import operator, runtime_of, visitor
from consentgate.web.pages import codec_of, render, see_other, session_and_form
from consentgate.web.sessions import Session

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)

_ORDER = {AppStatus.PENDING: 0, AppStatus.SUSPENDED: 1, AppStatus.APPROVED: 2}


def _reason(form: Any, *, required: bool) -> str | None:
    value = form.get("reason")
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > 2000:
        raise InvalidInput("the reason is at most 2000 characters")
    if required and not text:
        raise InvalidInput("give a reason")
    return text or None


@router.get("/login")
def login_page(request: Request) -> Response:
    session = visitor(request)
    if session.kind == "operator":
        return see_other("/console/apps")
    return render(request, "console/login.html", {"error": None}, session=session)


@router.post("/login")
async def login(request: Request) -> Response:
    session = visitor(request)
    form = await session_and_form(request, session)
    key = form.get("key")
    key = key.strip() if isinstance(key, str) else ""
    runtime = runtime_of(request)
    if not key or len(key) > 4096 or find_operator(runtime.stores.operators, key) is None:
        return render(
            request,
            "console/login.html",
            {"error": "That is not a valid operator key."},
            session=session,
            status=401,
        )
    response = see_other("/console/apps")
    codec_of(request).write(response, request, Session.new("operator", key=key))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    visit = operator(request, Action.APPS_READ)
    await session_and_form(request, visit.session)
    codec = codec_of(request)
    codec.revoked.add(visit.session)
    response = see_other("/console/login")
    codec.clear(response, request)
    return response


@router.get("")
def home(request: Request) -> Response:
    operator(request, Action.APPS_READ)
    return see_other("/console/apps")


@router.get("/apps")
def apps(request: Request) -> Response:
    visit = operator(request, Action.APPS_READ)
    runtime = runtime_of(request)
    found = []
    after: str | None = None
    while True:
        page = list_apps(runtime.stores.apps, after=after, limit=500)
        found += page
        if len(page) < 500:
            break
        after = page[-1].id
    found.sort(key=lambda a: (_ORDER.get(a.status, 3), a.name.lower(), a.id))
    return render(request, "console/apps.html", {"apps": found}, session=visit.session)


@router.get("/apps/{app_id}")
def app_page(app_id: str, request: Request) -> Response:
    visit = operator(request, Action.APPS_READ)
    runtime = runtime_of(request)
    app = get_app(runtime.stores.apps, app_id)
    return render(
        request,
        "console/app.html",
        {"app": app, "catalog": runtime.catalog},
        session=visit.session,
    )


@router.post("/apps/{app_id}/approve")
async def approve(app_id: str, request: Request) -> Response:
    visit = operator(request, Action.APPS_APPROVE)
    form = await session_and_form(request, visit.session)
    runtime = runtime_of(request)
    chosen = [v for v in form.getlist("fields") if isinstance(v, str)]
    fields = chosen or None  # none ticked: every requested field, as the API's empty body
    approve_app(runtime.stores.apps, runtime.catalog, app_id, fields=fields, actor=visit.actor)
    return see_other(f"/console/apps/{app_id}")


@router.post("/apps/{app_id}/reject")
async def reject(app_id: str, request: Request) -> Response:
    visit = operator(request, Action.APPS_REJECT)
    form = await session_and_form(request, visit.session)
    reason = _reason(form, required=False) or "rejected in the console"
    reject_app(runtime_of(request).stores.apps, app_id, reason=reason, actor=visit.actor)
    return see_other(f"/console/apps/{app_id}")


@router.post("/apps/{app_id}/suspend")
async def suspend(app_id: str, request: Request) -> Response:
    visit = operator(request, Action.APPS_SUSPEND)
    form = await session_and_form(request, visit.session)
    reason = _reason(form, required=True) or ""
    suspend_app(runtime_of(request).stores.apps, app_id, reason=reason, actor=visit.actor)
    return see_other(f"/console/apps/{app_id}")


@router.post("/apps/{app_id}/reinstate")
async def reinstate(app_id: str, request: Request) -> Response:
    visit = operator(request, Action.APPS_REINSTATE)
    form = await session_and_form(request, visit.session)
    reason = _reason(form, required=True)
    breach.reinstate(runtime_of(request).stores, app_id, actor=visit.actor, reason=reason)
    return see_other(f"/console/apps/{app_id}")
