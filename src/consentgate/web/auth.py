"""Who is on a web page: the visitor's session (an ``anon`` one is made for sign-in forms),
a signed-in person (``person``) and a signed-in operator allowed an action (``operator``).
A page without the right session sends the browser to its sign-in page (``SignInFirst``,
303); a person's session on an operator page, or an operator whose role may not take the
action, is refused (403, as the API refuses it)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from consentgate.authz import Action, Actor, require
from consentgate.errors import Forbidden
from consentgate.operators import find_operator
from consentgate.runtime import Runtime
from consentgate.web.pages import codec_of
from consentgate.web.sessions import Session

__all__ = [
    "OperatorVisit",
    "SignInFirst",
    "operator",
    "person",
    "runtime_of",
    "safe_next",
    "visitor",
]


class SignInFirst(Exception):
    """Answered with a 303 to ``location`` (the sign-in page)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def visitor(request: Request) -> Session:
    """The visitor's session, or a new ``anon`` one (written back by ``render``)."""
    return codec_of(request).read(request) or Session.new("anon")


def person(request: Request) -> Session:
    """A signed-in person's session; anyone else is sent to /privacy/login (from a page,
    with the page to come back to: ``next``)."""
    session = codec_of(request).read(request)
    if session is None or session.kind != "subject" or session.subject is None:
        if request.method == "GET" and request.url.path != "/privacy":
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInFirst("/privacy/login?" + urlencode({"next": here}))
        raise SignInFirst("/privacy/login")
    return session


def safe_next(value: object) -> str:
    """Where to go after sign-in: a privacy-centre page of this site, else /privacy (no
    open redirect: nothing off-site, no scheme, no ``//``, no backslash)."""
    if (
        isinstance(value, str)
        and len(value) <= 2000
        and value.startswith("/privacy")
        and not value.startswith("/privacy/login")
        and "//" not in value
        and "\\" not in value
        and all(c.isprintable() and not c.isspace() for c in value)
    ):
        return value
    return "/privacy"


@dataclass(frozen=True)
class OperatorVisit:
    session: Session
    actor: Actor


def operator(request: Request, action: Action) -> OperatorVisit:
    """A signed-in operator whose role may take ``action``. No session: sent to
    /console/login; a person's session or a key no longer valid: 403."""
    session = codec_of(request).read(request)
    if session is None or session.kind == "anon":
        raise SignInFirst("/console/login")
    if session.kind != "operator" or session.key is None:
        raise Forbidden("the console is for operators: sign in with an operator key")
    found = find_operator(runtime_of(request).stores.operators, session.key)
    if found is None:
        raise SignInFirst("/console/login")
    require(action=action, actor=found.actor)
    return OperatorVisit(session, found.actor)
