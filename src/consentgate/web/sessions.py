"""Cookie sessions of the web pages: the whole session sealed in one cookie with AES-GCM
under a server secret kept in storage (``web-sessions``), so nothing a browser holds can be
read or forged, and nothing is stored per visitor.

A session is one of three kinds: ``anon`` (a visitor before sign-in: only a CSRF token, so
the sign-in forms are protected too), ``subject`` (a person, by platform id, signed in with
the platform's token or, under ``--demo``, the demo picker) and ``operator`` (the operator
key itself, sealed: every request looks the key up again, so a revoked key ends its
sessions at once). Every sign-in issues a new session id and a new CSRF token (no fixation:
a cookie planted before sign-in is never promoted); sign-out forgets the id in this
process (``Revoked``) and clears the cookie; every session expires (``SUBJECT_TTL``,
``OPERATOR_TTL``). The cookie is HttpOnly, SameSite=Strict, Path=/, and Secure when the
request came over HTTPS."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "COOKIE",
    "OPERATOR_TTL",
    "SUBJECT_TTL",
    "Revoked",
    "Session",
    "SessionCodec",
]

COOKIE = "cg_session"
SUBJECT_TTL = 3600  # seconds
OPERATOR_TTL = 8 * 3600
ANON_TTL = 3600
_AAD = b"consentgate web session v1"
_MAX_COOKIE = 3000  # characters; anything longer is not ours

Kind = Literal["anon", "subject", "operator"]


@dataclass(frozen=True, slots=True)
class Session:
    kind: Kind
    sid: str  # a random id, new at every sign-in
    csrf: str  # the token every form of this session carries
    expires: int  # epoch seconds
    subject: str | None = None  # kind == "subject": the platform's subject id
    key: str | None = None  # kind == "operator": the operator key

    @classmethod
    def new(cls, kind: Kind, *, subject: str | None = None, key: str | None = None) -> Session:
        ttl = {"anon": ANON_TTL, "subject": SUBJECT_TTL, "operator": OPERATOR_TTL}[kind]
        return cls(
            kind=kind,
            sid=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(24),
            expires=int(time.time()) + ttl,
            subject=subject,
            key=key,
        )

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


class Revoked:
    """Session ids signed out in this process, kept until they would have expired."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, session: Session) -> None:
        now = int(time.time())
        with self._lock:
            self._ids = {sid: exp for sid, exp in self._ids.items() if exp > now}
            self._ids[session.sid] = session.expires

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return sid in self._ids


class SessionCodec:
    """Seal and open session cookies with a 32-byte key."""

    def __init__(self, key: bytes, revoked: Revoked | None = None) -> None:
        self._aead = AESGCM(key[:32])
        self.revoked = revoked or Revoked()

    def seal(self, session: Session) -> str:
        payload = {
            "k": session.kind,
            "i": session.sid,
            "c": session.csrf,
            "e": session.expires,
            "s": session.subject,
            "o": session.key,
        }
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, json.dumps(payload).encode(), _AAD)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, cookie: str | None) -> Session | None:
        """The session in ``cookie``, or None when it is missing, forged, expired or signed
        out."""
        if not cookie or len(cookie) > _MAX_COOKIE:
            return None
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], _AAD)
            data = json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag):
            return None
        if not isinstance(data, dict) or data.get("k") not in ("anon", "subject", "operator"):
            return None
        session = Session(
            kind=data["k"],
            sid=str(data["i"]),
            csrf=str(data["c"]),
            expires=int(data["e"]),
            subject=data.get("s"),
            key=data.get("o"),
        )
        if session.expires <= time.time() or session.sid in self.revoked:
            return None
        return session

    def read(self, request: Request) -> Session | None:
        return self.open(request.cookies.get(COOKIE))

    def write(self, response: Response, request: Request, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.seal(session),
            max_age=max(1, session.expires - int(time.time())),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
