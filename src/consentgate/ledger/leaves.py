"""Ledger leaves (format v2, reading v1 too) and subject pseudonyms (I5).

A leaf is RFC 8785 canonical JSON of integers and strings only: format version, time
(milliseconds), app id, the subject's keyed pseudonym, the leaf index of the same subject's
previous leaf (``prev``, -1 for the first), fields, purpose, legal basis, consent id,
request id, a random nonce (so low-entropy leaves cannot be brute-forced from their hash)
and — from v2 — ``cc``, the subject's country at disclosure time (ISO 3166-1 alpha-2, empty
when unknown), so counts per country (the political transparency register, a breach's scope
by country) can be recounted from leaves alone. It carries no direct identifier: the
pseudonym is HMAC-SHA256 under a random 256-bit key per subject, kept outside the log; ids
inside are opaque prefixed strings; a country is shared by millions.

v1 leaves (written before v2) have no ``cc``; they decode with ``cc=""`` and ``version=1``
and encode back to their exact bytes, so every stored leaf still hashes to its node.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring

__all__ = [
    "LEAF_VERSION",
    "LEAF_VERSIONS",
    "PLATFORM_APP",
    "Batch",
    "Entry",
    "Leaf",
    "country_code",
    "encode_batch",
    "leaf_bytes",
    "new_nonces",
    "new_pseudonym_keys",
    "pseudonym",
]

# the ledger's name for the platform itself: the party that records an erasure and that
# receives a person's own export (kind "access"); never a recipient (not a disclosure)
PLATFORM_APP = "app_platform"

LEAF_VERSION = 2  # what new leaves are written as
LEAF_VERSIONS = (1, 2)  # what is read
_COUNTRY = re.compile(r"[A-Z]{2}")


_KEY_BYTES = 32


def new_pseudonym_keys(count: int) -> list[bytes]:
    """``count`` fresh random keys, one read of the OS's random source for all of them. Each
    is independent, never derived from a master key: a derivable key is not erasable."""
    pool = os.urandom(_KEY_BYTES * count)
    return [pool[i : i + _KEY_BYTES] for i in range(0, len(pool), _KEY_BYTES)]


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def pseudonym(key: bytes, subject_id: str) -> str:
    """``ps1:`` and the unpadded base64url of HMAC-SHA256(key, "subj" 0x00 id)."""
    digest = hmac.digest(key, b"subj\x00" + subject_id.encode("utf-8"), "sha256")
    # 32 bytes are 43 base64 characters and one "=" (binascii: no per-call Python layers)
    return "ps1:" + binascii.b2a_base64(digest, newline=False)[:43].translate(_URLSAFE).decode()


def _check_ids(app: str, subj: str, consent: str, req: str) -> None:
    for value, prefix in ((app, "app_"), (req, "req_")):
        if not value.startswith(prefix):
            raise ValueError(f"leaf ids are opaque prefixed strings ({prefix}…)")
    if consent and not consent.startswith("cns_"):
        raise ValueError("leaf consent ids are opaque cns_ strings")
    if not subj.startswith("ps1:"):
        raise ValueError("a leaf names its subject only by a ps1: pseudonym")


def country_code(country: str | None) -> str:
    """A subject's country as a leaf's ``cc``: ISO 3166-1 alpha-2 in capitals, or "" when
    unknown or not such a code."""
    code = (country or "").strip().upper()
    return code if _COUNTRY.fullmatch(code) else ""


def _check_cc(cc: str) -> None:
    if cc and not _COUNTRY.fullmatch(cc):
        raise ValueError("a leaf's cc is an ISO 3166-1 alpha-2 code or empty")


def leaf_bytes(
    ts_ms: int,
    app: str,
    subj: str,
    prev: int,
    fields: Sequence[str],
    purpose: str,
    basis: str,
    consent: str,
    req: str,
    nonce: str,
    kind: str,
    cc: str = "",
    version: int = LEAF_VERSION,
) -> bytes:
    """The exact leaf bytes: RFC 8785 canonical JSON of the format-v2 document (v1, without
    ``cc``, when ``version`` is 1: how leaves written before v2 are re-encoded).

    For this document — thirteen ASCII keys, strings, and integers below 2**53 — RFC 8785 is
    the keys in order (``cc`` sorts between ``basis`` and ``consent``), no whitespace,
    integers in decimal and strings as the standard library's non-ASCII-escaping string
    encoder writes them (only ``"``, ``\\`` and controls escaped, lower-case ``\\u00xx``).
    The tests hold it to the general ``rfc8785`` encoder on generated leaves; this is the
    append path, written once per disclosure."""
    _check_ids(app, subj, consent, req)
    q = encode_basestring
    if version == 1:
        if cc:
            raise ValueError("a v1 leaf has no cc")
        country = ""
    elif version == LEAF_VERSION:
        _check_cc(cc)
        country = f'"cc":"{cc}",'
    else:
        raise ValueError("unknown leaf format version")
    return (
        f'{{"app":{q(app)},"basis":{q(basis)},{country}"consent":{q(consent)},'
        f'"fields":[{",".join(map(q, fields))}],"nonce":{q(nonce)},"prev":{int(prev)},'
        f'"purpose":{q(purpose)},"req":{q(req)},"subj":{q(subj)},"ts":{int(ts_ms)},'
        f'"type":{q(kind)},"v":{int(version)}}}'
    ).encode()


@dataclass(frozen=True)
class Leaf:
    ts_ms: int
    app: str
    subj: str
    prev: int
    fields: tuple[str, ...]
    purpose: str
    basis: str
    consent: str
    req: str
    nonce: str
    kind: str = "disclosure"
    cc: str = ""  # the subject's country at disclosure time; "" unknown (and in v1)
    version: int = LEAF_VERSION

    def __post_init__(self) -> None:
        _check_ids(self.app, self.subj, self.consent, self.req)
        if self.version not in LEAF_VERSIONS:
            raise ValueError("unknown leaf format version")
        if self.version == 1 and self.cc:
            raise ValueError("a v1 leaf has no cc")
        _check_cc(self.cc)

    def encode(self) -> bytes:
        return leaf_bytes(
            self.ts_ms,
            self.app,
            self.subj,
            self.prev,
            self.fields,
            self.purpose,
            self.basis,
            self.consent,
            self.req,
            self.nonce,
            self.kind,
            self.cc,
            self.version,
        )

    @classmethod
    def decode(cls, data: bytes) -> Leaf:
        """A leaf of either format (v1, v2); ``ValueError`` for anything else. Keys beyond
        the format's are not refused here: ``encode`` would not give the bytes back, which
        is how fsck finds a leaf that is not canonical."""
        document = json.loads(data)
        version = document.get("v")
        if type(version) is not int or version not in LEAF_VERSIONS:
            raise ValueError("unknown leaf format version")
        if version == 1 and "cc" in document:
            raise ValueError("a v1 leaf has no cc")
        return cls(
            ts_ms=int(document["ts"]),
            app=str(document["app"]),
            subj=str(document["subj"]),
            prev=int(document["prev"]),
            fields=tuple(document["fields"]),
            purpose=str(document["purpose"]),
            basis=str(document["basis"]),
            consent=str(document["consent"]),
            req=str(document["req"]),
            nonce=str(document["nonce"]),
            kind=str(document["type"]),
            cc=str(document["cc"]) if version >= 2 else "",
            version=version,
        )


_NONCE_BYTES = 18  # 144 bits: a multiple of 3, so a batch's base64 splits into whole nonces
_NONCE_CHARS = _NONCE_BYTES * 4 // 3


def new_nonces(count: int) -> list[str]:
    """``count`` random nonces (24 base64url characters each) from one read of the OS's
    random source, instead of one system call per leaf."""
    text = base64.urlsafe_b64encode(os.urandom(_NONCE_BYTES * count)).decode("ascii")
    return [text[i : i + _NONCE_CHARS] for i in range(0, len(text), _NONCE_CHARS)]


@dataclass(frozen=True)
class Entry:
    """A disclosure to be written: who (platform id, never stored in the leaf) got what."""

    subject_id: str
    app_id: str
    fields: tuple[str, ...]
    purpose: str
    basis: str
    consent_id: str
    request_id: str
    at_us: int
    kind: str = "disclosure"
    country: str = ""  # the subject's country at disclosure time (``country_code``)


# one leaf as a store writes it: (index, leaf bytes, pseudonym, app id, time in us)
LeafRow = tuple[int, bytes, str, str, int]


@dataclass(frozen=True)
class Batch:
    """The leaves of one append, and the key rows it changes: ``fresh`` keys of subjects
    disclosed for the first time, each subject's new chain ``heads``."""

    rows: list[LeafRow]
    fresh: dict[str, bytes]
    heads: dict[str, int]


def encode_batch(
    entries: Sequence[Entry],
    *,
    next_index: int,
    keys: Mapping[str, bytes],
    heads: Mapping[str, int],
) -> Batch:
    """Number ``entries`` densely from ``next_index`` and encode them, keying a subject
    without a key in ``keys`` afresh and linking each leaf to the subject's previous one
    (``heads``). Both ledgers (SQL and memory) append through this."""
    subjects = list(dict.fromkeys(entry.subject_id for entry in entries))
    unkeyed = [s for s in subjects if s not in keys]
    fresh = dict(zip(unkeyed, new_pseudonym_keys(len(unkeyed)), strict=True))
    pseudonyms = {s: pseudonym(fresh.get(s) or keys[s], s) for s in subjects}  # once each
    nonces = new_nonces(len(entries))
    chain = {s: heads[s] for s in subjects if s in heads}
    rows: list[LeafRow] = []
    for offset, entry in enumerate(entries):
        index = next_index + offset
        subject = entry.subject_id
        subj = pseudonyms[subject]
        data = leaf_bytes(
            entry.at_us // 1000,
            entry.app_id,
            subj,
            chain.get(subject, -1),
            entry.fields,
            entry.purpose,
            entry.basis,
            entry.consent_id,
            entry.request_id,
            nonces[offset],
            entry.kind,
            country_code(entry.country),
        )
        chain[subject] = index
        rows.append((index, data, subj, entry.app_id, entry.at_us))
    return Batch(rows, fresh, chain)
