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
from consentgate.consent import live_consents, withdraw_all, withdraw_consent
from consentgate.errors import ConsentGateError, InvalidInput, NotFound
from consentgate.web.auth import person, runtime_of, visitor
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


def _signed_in(request: Request, subject: str) -> Response:
    """A new session for ``subject`` (new id, new CSRF token), then the privacy centre."""
    response = see_other("/privacy")
    codec_of(request).write(response, request, Session.new("subject", subject=subject))
    return response


def _login_page(request: Request, session: Session, error: str | None, status: int) -> Response:
    return render(request, "privacy/login.html", {"error": error}, session=session, status=status)


@router.get("/login")
def login_page(request: Request) -> Response:
    session = visitor(request)
    if session.kind == "subject":
        return see_other("/privacy")
    return _login_page(request, session, None, 200)


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
        return _login_page(request, session, exc.message, exc.http_status)
    return _signed_in(request, subject)


@router.post("/login/demo")
async def login_demo(request: Request) -> Response:
    runtime = runtime_of(request)
    if not runtime.settings.demo:
        raise NotFound("demo sign-in exists only under --demo")
    session = visitor(request)
    form = await session_and_form(request, session)
    subject = _text(form, "subject", limit=200)
    if not runtime.source.attributes([subject]):
        return _login_page(request, session, "the demo platform has no such person", 404)
    return _signed_in(request, subject)


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
