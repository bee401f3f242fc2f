"""The web pages (an edge, like ``api/``): the privacy centre at ``/privacy`` and the DPO
console at ``/console``, server-rendered Jinja2 with htmx served from the package
(``static/``), on the same app and the same library calls as the HTTP API; no SQL of their
own. ``install_web(app)`` adds the routes, the static files, the security headers, the
session codec (its key a server secret in storage) and the error pages (docs/web.md)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from consentgate.runtime import Runtime
from consentgate.storage.secrets import server_secret
from consentgate.web import console, console_more, home, privacy, privacy_data
from consentgate.web.auth import SignInFirst
from consentgate.web.pages import HERE, SecurityHeaders, error_page, see_other
from consentgate.web.sessions import SessionCodec

__all__ = ["install_web"]


def install_web(app: FastAPI, runtime: Runtime) -> None:
    app.state.web_sessions = SessionCodec(server_secret(runtime.db, "web-sessions"))
    app.state.error_page = error_page
    app.include_router(home.router)
    app.include_router(privacy.router)
    app.include_router(privacy_data.router)
    app.include_router(console.router)
    app.include_router(console_more.router)
    app.mount("/web-static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Response:
        return see_other(exc.location)
