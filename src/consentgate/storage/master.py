"""The master key: what every private key and server secret in the database is sealed
under (AES-256-GCM), so the database alone — a copy, a backup, a dump, another database
user — gives no key away (issue 11).

It comes from ``CONSENTGATE_MASTER_KEY`` (any random string of at least 32 characters), or
else from a key file: ``CONSENTGATE_MASTER_KEY_FILE``, by default ``<database file>.key``
beside a SQLite database (``$XDG_CONFIG_HOME/consentgate/master.key`` for any other). A
missing key file is generated (mode 0600, 256 random bits); one that other users may read
is refused. The AES key is HKDF-SHA256 of the string, so any form of it works.

A sealed value is ``cgk1`` ‖ 12-byte nonce ‖ ciphertext and tag, the value's name (which
key or secret it is) bound as associated data so one sealed value cannot stand in for
another. ``sealed_text``/``opened_text`` carry the same as ``cgk1:<base64>`` for text
columns.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from consentgate.errors import MasterKeyInvalid
from consentgate.storage.engine import sqlite_path

__all__ = [
    "MASTER_KEY_MIN_CHARS",
    "MasterKey",
    "default_key_file",
    "is_sealed",
    "load_master_key",
    "new_key_file",
    "private_file",
]

MASTER_KEY_MIN_CHARS = 32
_PREFIX = b"cgk1"
_TEXT_PREFIX = "cgk1:"
_NONCE = 12


class MasterKey:
    def __init__(self, secret: str) -> None:
        if len(secret) < MASTER_KEY_MIN_CHARS:
            raise MasterKeyInvalid(
                f"the master key is shorter than {MASTER_KEY_MIN_CHARS} characters: "
                "set a random one (e.g. `openssl rand -base64 48`)"
            )
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"consentgate master key v1"
        ).derive(secret.encode("utf-8"))
        self._aead = AESGCM(derived)

    def seal(self, value: bytes, *, name: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _PREFIX + nonce + self._aead.encrypt(nonce, value, name.encode("utf-8"))

    def open(self, sealed: bytes, *, name: str) -> bytes:
        if not is_sealed(sealed):
            raise MasterKeyInvalid(f"the stored {name} is not sealed")
        body = sealed[len(_PREFIX) :]
        try:
            return self._aead.decrypt(body[:_NONCE], body[_NONCE:], name.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise MasterKeyInvalid(
                f"the stored {name} does not open under this master key: set the "
                "CONSENTGATE_MASTER_KEY (or _MASTER_KEY_FILE) this database was made with"
            ) from None

    def sealed_text(self, value: str, *, name: str) -> str:
        raw = self.seal(value.encode("utf-8"), name=name)
        return _TEXT_PREFIX + base64.b64encode(raw[len(_PREFIX) :]).decode("ascii")

    def opened_text(self, text: str, *, name: str) -> str:
        if not text.startswith(_TEXT_PREFIX):
            raise MasterKeyInvalid(f"the stored {name} is not sealed")
        try:
            body = base64.b64decode(text[len(_TEXT_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyInvalid(f"the stored {name} is damaged") from None
        return self.open(_PREFIX + body, name=name).decode("utf-8")


def is_sealed(value: bytes | str) -> bool:
    if isinstance(value, str):
        return value.startswith(_TEXT_PREFIX)
    return bytes(value[: len(_PREFIX)]) == _PREFIX


def default_key_file(database_url: str) -> Path:
    """``<database file>.key`` for a SQLite file, else the user's consentgate config."""
    path = sqlite_path(database_url)
    if path is not None:
        return path.with_name(path.name + ".key")
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "consentgate" / "master.key"


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 when missing; make it 0600 when it exists."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        os.chmod(path, 0o600)


def new_key_file(path: Path) -> MasterKey:
    """A new random master key written to ``path`` (created mode 0600; an existing file is
    never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise MasterKeyInvalid(f"{path} exists: name a new file for the new master key") from None
    secret = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    return MasterKey(secret)


def load_master_key(
    *, database_url: str, secret: str | None = None, key_file: Path | None = None
) -> MasterKey:
    """The master key: ``secret`` when given, else read from ``key_file`` (by default
    beside the database), generated there when missing."""
    if secret is not None:
        return MasterKey(secret)
    path = (key_file or default_key_file(database_url)).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise MasterKeyInvalid(
            f"the master key file {path} may be read by other users (mode {mode:o}): "
            f"chmod 600 {path}"
        )
    return MasterKey(path.read_text("utf-8").strip())
