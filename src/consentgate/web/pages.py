"""What every web page shares: the Jinja2 environment (autoescaped), rendering with the
session's CSRF token, redirects after a POST (303), the security headers of every web
response (``SecurityHeaders``: CSP without inline script or style, no framing, no
sniffing, no referrer, no caching of personal pages) and error pages — the API's errors,
with the same status and code, rendered as HTML for paths under the web prefixes
(``error_page``, which ``api/errors.py`` calls)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentgate.clock import from_micros
from consentgate.errors import Forbidden
from consentgate.web.sessions import Session, SessionCodec

__all__ = [
    "CSP",
    "WEB_PREFIXES",
    "SecurityHeaders",
    "codec_of",
    "error_page",
    "is_web_path",
    "render",
    "render_text",
    "see_other",
    "session_and_form",
]

HERE = Path(__file__).resolve().parent
WEB_PREFIXES = ("/privacy", "/console", "/web-static")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | str | None) -> str:
    """A time as people read it, in UTC to the minute."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


_env.filters["when"] = _when
_env.filters["micros_when"] = lambda us: _when(from_micros(int(us)))


def is_web_path(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in WEB_PREFIXES)


def codec_of(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.web_sessions
    return codec


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    session: Session | None = None,
    status: int = 200,
) -> HTMLResponse:
    """``template`` with ``context``, the session (its CSRF token for the forms) and the
    demo flag; a session is written back when given (``anon`` ones are made here)."""
    runtime = request.app.state.runtime
    values = {
        "session": session,
        "csrf": session.csrf if session is not None else "",
        "demo": bool(runtime.settings.demo),
        "path": request.url.path,
        **(context or {}),
    }
    html = render_text(template, values)
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if request.headers.get("HX-Request") == "true":  # htmx: the address bar shows this page
        query = f"?{request.url.query}" if request.url.query else ""
        response.headers["HX-Push-Url"] = request.url.path + query
    if session is not None:
        codec_of(request).write(response, request, session)
    return response


def render_text(template: str, values: Mapping[str, Any]) -> str:
    """``template`` rendered with ``values`` (autoescaped)."""
    return _env.get_template(template).render(values)


def see_other(url: str) -> RedirectResponse:
    """The answer to a form POST: go and GET ``url`` (303)."""
    return RedirectResponse(url, status_code=303)


async def session_and_form(request: Request, session: Session) -> FormData:
    """The POSTed form, after its CSRF token is checked against ``session``'s."""
    form = await request.form()
    token = form.get("csrf")
    if not session.csrf_ok(token if isinstance(token, str) else None):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and retry")
    return form


def error_page(request: Request, status: int, code: str, message: str) -> Response | None:
    """An error under a web prefix as a page (status and code as the API's envelope);
    None elsewhere (the API answers its envelope)."""
    if not is_web_path(request.url.path):
        return None
    if status == 404 and code == "NOT_FOUND" and message.startswith("no route"):
        message = "There is no page here."
    session = codec_of(request).read(request)
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": message},
        session=None if session is None else session,
        status=status,
    )


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response of a web path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ] + _HEADERS
                if not scope.get("path", "").startswith("/web-static"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
