"""App-scoped subject ids (I7) and sealed paging cursors.

An app-scoped id is the subject's platform id sealed with AES-SIV under a server key, with
the app id as associated data: deterministic (stable per app and subject), unguessable
(forging one needs the key), unlinkable across apps (another app's id for the same subject
is an unrelated string, and fails authentication when presented by this app). No table is
needed to resolve them.

Every id has one length (``SCOPED_ID_LENGTH`` characters) whatever the platform id's: the
id is sealed as one length byte and its UTF-8 bytes padded with zeros to ``ID_BYTES``, so
the ciphertext tells nothing of the platform id's length (issue 11; a platform id longer
than ``ID_BYTES - 1`` bytes is refused). Ids sealed before that (unpadded, under the
associated data ``subject``) still open, so an app's stored ids keep working; new ones are
always the fixed length.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from consentgate.errors import InvalidInput

__all__ = ["ID_BYTES", "SCOPED_ID_LENGTH", "IdSealer"]

# the padded plaintext: a length byte and up to 71 bytes of platform id, which makes every
# id 119 characters — within the 128 of the columns that keep scoped ids (notices)
ID_BYTES = 72
_SIV_TAG = 16
SCOPED_ID_LENGTH = 1 + -(-(ID_BYTES + _SIV_TAG) * 4 // 3)  # "u" and unpadded base64url
_FIXED = b"subject/fixed"  # the associated data's label of fixed-length ids


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
        raw = subject_id.encode("utf-8")
        if len(raw) >= ID_BYTES:
            raise InvalidInput(f"a platform subject id is at most {ID_BYTES - 1} bytes")
        padded = bytes([len(raw)]) + raw + bytes(ID_BYTES - 1 - len(raw))
        return "u" + _encode(self._siv.encrypt(padded, [_FIXED, app_id.encode()]))

    def subject_for(self, app_id: str, scoped_id: str) -> str | None:
        """The platform id behind ``scoped_id`` for this app; None when it is not one of
        this app's ids (malformed, forged, or another app's)."""
        if not scoped_id.startswith("u"):
            return None
        if len(scoped_id) != SCOPED_ID_LENGTH:  # one sealed before ids had one length
            return self._open(scoped_id[1:], [b"subject", app_id.encode()])
        raw = _decode(scoped_id[1:])
        if raw is None or len(raw) != ID_BYTES + _SIV_TAG:
            return None
        try:
            padded = self._siv.decrypt(raw, [_FIXED, app_id.encode()])
        except InvalidTag:
            return None
        size = padded[0]
        if size >= ID_BYTES or any(padded[1 + size :]):
            return None
        try:
            return padded[1 : 1 + size].decode("utf-8")
        except UnicodeDecodeError:
            return None

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
