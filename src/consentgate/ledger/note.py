"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note), through ``cryptography``.

A note is UTF-8 text ending in a newline, then a blank line, then one line per signature:
``— <key name> <base64(4-byte key hash || 64-byte signature)>``. The key hash is the first
four bytes of SHA-256(name || 0x0A || 0x01 || public key); a verifier key is written
``<name>+<hex key hash>+<base64(0x01 || public key)>``. What is signed is the text alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from consentgate.errors import NoteError

__all__ = ["NoteError", "NoteSigner", "NoteVerifier", "key_hash", "open_note"]

_ALG_ED25519 = b"\x01"
_DASH = "\u2014 "  # EM DASH and a space open every signature line


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError("a key name is non-empty, with no spaces and no '+'")


def key_hash(name: str, public: bytes) -> bytes:
    """The 4-byte C2SP key hash of an Ed25519 note key."""
    return hashlib.sha256(name.encode() + b"\n" + _ALG_ED25519 + public).digest()[:4]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> NoteVerifier:
        """A verifier from its ``name+hash+key`` string."""
        name, sep1, rest = vkey.partition("+")
        hash_hex, sep2, key_b64 = rest.partition("+")
        if not sep1 or not sep2:
            raise NoteError("a verifier key is <name>+<hex key hash>+<base64 key>")
        _check_name(name)
        try:
            stated = bytes.fromhex(hash_hex)
            material = base64.b64decode(key_b64, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("the verifier key is not hex and base64") from None
        if len(stated) != 4 or len(material) != 33 or material[:1] != _ALG_ED25519:
            raise NoteError("the verifier key is not an Ed25519 note key")
        public = material[1:]
        if key_hash(name, public) != stated:
            raise NoteError("the verifier key's hash does not match its name and key")
        return cls(name, stated, Ed25519PublicKey.from_public_bytes(public))

    def encode(self) -> str:
        material = base64.b64encode(_ALG_ED25519 + _raw(self.public_key)).decode()
        return f"{self.name}+{self.key_hash.hex()}+{material}"


@dataclass(frozen=True)
class NoteSigner:
    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> NoteVerifier:
        public = self.private_key.public_key()
        return NoteVerifier(self.name, key_hash(self.name, _raw(public)), public)

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end with a newline)."""
        _check_text(text)
        signature = self.private_key.sign(text.encode("utf-8"))
        blob = base64.b64encode(self.verifier.key_hash + signature).decode()
        return f"{text}\n{_DASH}{self.name} {blob}\n"


def open_note(note: str, verifier: NoteVerifier) -> str:
    """The text of ``note`` if ``verifier`` signed it; raises ``NoteError`` otherwise.
    Signatures by other keys are ignored; at least the verifier's must be present."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise NoteError("a signed note is text, a blank line, then signature lines")
    text += "\n"
    _check_text(text)
    if not signatures.endswith("\n"):
        raise NoteError("the signature block must end with a newline")
    found = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, blob = line[len(_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise NoteError("a signature is not base64") from None
        if len(raw) < 5:
            raise NoteError("a signature is too short")
        if name != verifier.name or raw[:4] != verifier.key_hash:
            continue
        try:
            verifier.public_key.verify(raw[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise NoteError(f"the signature of {name} does not verify") from None
        found = True
    if not found:
        raise NoteError(f"the note carries no signature by {verifier.name}")
    return text


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("note text is non-empty lines, each ending in a newline")
