"""App-scoped subject ids (I7) and sealed paging cursors.

An app-scoped id is the subject's platform id sealed with AES-SIV under a server key, with
the app id as associated data: deterministic (stable per app and subject), unguessable
(forging one needs the key), unlinkable across apps (another app's id for the same subject
is an unrelated string, and fails authentication when presented by this app). No table is
needed to resolve them.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

__all__ = ["IdSealer"]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    if not text or len(text) > 512:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class IdSealer:
    def __init__(self, key: bytes) -> None:
        self._siv = AESSIV(key)

    def scoped_id(self, app_id: str, subject_id: str) -> str:
        sealed = self._siv.encrypt(subject_id.encode("utf-8"), [b"subject", app_id.encode()])
        return "u" + _encode(sealed)

    def subject_for(self, app_id: str, scoped_id: str) -> str | None:
        """The platform id behind ``scoped_id`` for this app; None when it is not one of
        this app's ids (malformed, forged, or another app's)."""
        if not scoped_id.startswith("u"):
            return None
        return self._open(scoped_id[1:], [b"subject", app_id.encode()])

    def cursor(self, scope: str, position: str) -> str:
        return _encode(self._siv.encrypt(position.encode("utf-8"), [b"cursor", scope.encode()]))

    def position(self, scope: str, cursor: str) -> str | None:
        return self._open(cursor, [b"cursor", scope.encode()])

    def _open(self, text: str, associated: list[bytes]) -> str | None:
        raw = _decode(text)
        if raw is None or len(raw) <= 16:
            return None
        try:
            return self._siv.decrypt(raw, associated).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            return None
