"""The privacy centre (``/privacy``): a person signs in with the platform's token (under
``--demo`` also by picking a demo person), sees the apps with access to their data — what
each asked for and why, the purposes, the expiry, what it received — and withdraws one
consent or all. Every action is a plain form (CSRF-checked, answered 303), which htmx
boosts where JavaScript runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from consentgate.apps import get_app
from consentgate.consent import (
    GrantRequest,
    grant_consent,
    live_consents,
    withdraw_all,
    withdraw_consent,
)
from consentgate.errors import ConsentGateError, InvalidInput, NotFound
from consentgate.policy import AppStatus
from consentgate.web.auth import person, runtime_of, safe_next, visitor
from consentgate.web.pages import codec_of, render, see_other, session_and_form
from consentgate.web.sessions import Session

__all__ = ["router"]

router = APIRouter(prefix="/privacy", include_in_schema=False)


def _text(form: Any, name: str, *, limit: int = 4096) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"the form needs {name!r}")
    if len(value) > limit:
        raise InvalidInput(f"{name!r} is too long")
    return value.strip()


def _signed_in(request: Request, subject: str, form: Any) -> Response:
    """A new session for ``subject`` (new id, new CSRF token), then the page the person
    came for (``next``), or the privacy centre."""
    response = see_other(safe_next(form.get("next")))
    codec_of(request).write(response, request, Session.new("subject", subject=subject))
    return response


def _login_page(
    request: Request, session: Session, error: str | None, status: int, next_page: object
) -> Response:
    context = {"error": error, "next": safe_next(next_page)}
    return render(request, "privacy/login.html", context, session=session, status=status)


@router.get("/login")
def login_page(request: Request) -> Response:
    session = visitor(request)
    if session.kind == "subject":
        return see_other("/privacy")
    return _login_page(request, session, None, 200, request.query_params.get("next"))


@router.post("/login")
async def login(request: Request) -> Response:
    session = visitor(request)
    form = await session_and_form(request, session)
    runtime = runtime_of(request)
    try:
        if runtime.subject_tokens is None:
            raise InvalidInput("this server verifies no platform tokens")
        subject = runtime.subject_tokens.subject(_text(form, "token"))
        if not runtime.source.attributes([subject]):
            raise NotFound("the platform does not know this person")
    except ConsentGateError as exc:
        return _login_page(request, session, exc.message, exc.http_status, form.get("next"))
    return _signed_in(request, subject, form)


@router.post("/login/demo")
async def login_demo(request: Request) -> Response:
    runtime = runtime_of(request)
    if not runtime.settings.demo:
        raise NotFound("demo sign-in exists only under --demo")
    session = visitor(request)
    form = await session_and_form(request, session)
    subject = _text(form, "subject", limit=200)
    if not runtime.source.attributes([subject]):
        message = "the demo platform has no such person"
        return _login_page(request, session, message, 404, form.get("next"))
    return _signed_in(request, subject, form)


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = person(request)
    await session_and_form(request, session)
    codec = codec_of(request)
    codec.revoked.add(session)
    response = see_other("/privacy/login")
    codec.clear(response, request)
    return response


@router.get("")
def apps_with_access(request: Request) -> Response:
    session = person(request)
    runtime = runtime_of(request)
    subject = session.subject or ""
    received = {r.app_id: r for r in runtime.stores.ledger.recipients_of(subject)}
    by_app: dict[str, dict[str, Any]] = {}
    for consent in live_consents(runtime.stores.consents, subject_id=subject):
        entry = by_app.get(consent.app_id)
        if entry is None:
            app = get_app(runtime.stores.apps, consent.app_id)
            entry = by_app[consent.app_id] = {
                "app": app,
                "consents": [],
                "received": received.get(consent.app_id),
            }
        entry["consents"].append(consent)
    return render(
        request,
        "privacy/apps.html",
        {"apps": list(by_app.values()), "catalog": runtime.catalog},
        session=session,
    )


@router.post("/consents/{consent_id}/withdraw")
async def withdraw(consent_id: str, request: Request) -> Response:
    session = person(request)
    await session_and_form(request, session)
    runtime = runtime_of(request)
    withdraw_consent(
        runtime.stores.consents, subject_id=session.subject or "", consent_id=consent_id
    )
    return see_other("/privacy")


@router.post("/withdraw-all")
async def withdraw_everything(request: Request) -> Response:
    session = person(request)
    await session_and_form(request, session)
    withdraw_all(runtime_of(request).stores.consents, subject_id=session.subject or "")
    return see_other("/privacy")


def _asked(runtime: Any, app_id: str, purpose: str, fields: list[str]) -> dict[str, Any]:
    """What an app asks a person for, checked as a grant would be shown: an approved app,
    one of its purposes, only fields it was approved for."""
    app = get_app(runtime.stores.apps, app_id)
    if app.status != AppStatus.APPROVED:
        raise InvalidInput("this app is not approved: it cannot ask for consent")
    if purpose not in app.purposes:
        raise InvalidInput(f"the app did not declare the purpose {purpose!r}")
    runtime.catalog.require_purpose(purpose)
    if not fields or len(fields) > 64:
        raise InvalidInput("name between 1 and 64 fields")
    runtime.catalog.require_fields(fields)
    not_approved = [f for f in fields if f not in app.fields_approved]
    if not_approved:
        raise InvalidInput(f"the app is not approved for {', '.join(not_approved)}")
    spec = runtime.catalog.purposes[purpose]
    rows = [
        {
            "name": f,
            "why": app.fields_requested.get(f, ""),
            "special": runtime.catalog.fields[f].special_category,
        }
        for f in dict.fromkeys(fields)
    ]
    return {"app": app, "purpose": purpose, "spec": spec, "fields": rows}


def _fields_of(value: object) -> list[str]:
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidInput("fields is a comma-separated list of field names")
    return [f.strip() for f in value.split(",") if f.strip()]


@router.get("/consent")
def consent_screen(request: Request) -> Response:
    """The screen an app sends a person to: who asks, for what purpose, for which fields
    and why; explicit wording for special categories. Allowing grants the consent."""
    session = person(request)
    query = request.query_params
    if set(query) - {"app_id", "purpose", "fields"} or len(query.multi_items()) != len(query):
        raise InvalidInput("the consent screen takes app_id, purpose and fields, once each")
    for name in ("app_id", "purpose", "fields"):
        if not query.get(name):
            raise InvalidInput(f"the consent screen needs {name!r}")
    asked = _asked(
        runtime_of(request), query["app_id"], query["purpose"], _fields_of(query["fields"])
    )
    return render(request, "privacy/consent.html", asked, session=session)


@router.post("/consent")
async def give_consent(request: Request) -> Response:
    session = person(request)
    form = await session_and_form(request, session)
    runtime = runtime_of(request)
    subject = session.subject or ""
    asked = _asked(
        runtime,
        _text(form, "app_id", limit=64),
        _text(form, "purpose", limit=64),
        _fields_of(form.get("fields")),
    )
    special = any(row["special"] for row in asked["fields"])
    if special and form.get("explicit") != "yes":
        raise InvalidInput("tick the explicit consent for the special categories, or go back")
    grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject,
        request=GrantRequest(
            app_id=asked["app"].id,
            purpose=asked["purpose"],
            fields=[row["name"] for row in asked["fields"]],
            explicit=special,
        ),
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject),
    )
    return see_other("/privacy")
