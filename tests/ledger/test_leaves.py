"""Leaf encoding is RFC 8785 (held to the ``rfc8785`` reference implementation) in both
formats — v2, with the subject's country ``cc``, and v1, which stored leaves still are and
must re-encode to byte for byte — and our tree agrees with an independent library
(pymerkle) on every root."""

from __future__ import annotations

import base64
import hmac
import re

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from consentgate.ledger.leaves import (
    LEAF_VERSION,
    Leaf,
    country_code,
    new_nonces,
    new_pseudonym_keys,
    pseudonym,
)
from consentgate.ledger.merkle import MemoryTree

text = st.text(
    st.characters(exclude_categories=["Cs"]), max_size=30
)  # any Unicode but lone surrogates


@settings(max_examples=300, deadline=None)
@given(
    ts=st.integers(0, 2**53 - 1),
    app=text,
    subject=text,
    prev=st.integers(-1, 2**53 - 1),
    fields=st.lists(text, max_size=5),
    purpose=text,
    basis=text,
    consent=text,
    req=text,
    nonce=text,
    kind=st.sampled_from(["disclosure", "erasure"]),
    cc=st.one_of(st.just(""), st.from_regex(r"\A[A-Z]{2}\Z")),
    version=st.sampled_from([1, 2]),
)
def test_leaf_bytes_are_rfc_8785(
    ts: int, app: str, subject: str, prev: int, fields: list[str], purpose: str, basis: str,
    consent: str, req: str, nonce: str, kind: str, cc: str, version: int,
) -> None:  # fmt: skip
    if version == 1:
        cc = ""  # v1 has no country
    leaf = Leaf(
        ts_ms=ts,
        app="app_" + app,
        subj=pseudonym(b"k" * 32, subject),
        prev=prev,
        fields=tuple(fields),
        purpose=purpose,
        basis=basis,
        consent="cns_" + consent,
        req="req_" + req,
        nonce=nonce,
        kind=kind,
        cc=cc,
        version=version,
    )
    encoded = leaf.encode()
    document = {
        "v": version, "type": kind, "ts": ts, "app": leaf.app, "subj": leaf.subj, "prev": prev,
        "fields": list(fields), "purpose": purpose, "basis": basis, "consent": leaf.consent,
        "req": leaf.req, "nonce": nonce,
    }  # fmt: skip
    if version == 2:
        document["cc"] = cc
    assert encoded == rfc8785.dumps(document)
    assert Leaf.decode(encoded) == leaf


def test_new_leaves_are_v2_and_a_v1_leaf_reads_back_to_its_bytes() -> None:
    subj = pseudonym(b"k" * 32, "7")
    new = Leaf(1, "app_a", subj, -1, ("name",), "analytics", "art6", "cns_x", "req_y", "n", cc="DE")
    assert LEAF_VERSION == 2
    assert b'"cc":"DE"' in new.encode()
    assert b'"v":2}' in new.encode()
    v1 = rfc8785.dumps(
        {"v": 1, "type": "disclosure", "ts": 1, "app": "app_a", "subj": subj, "prev": -1,
         "fields": ["name"], "purpose": "analytics", "basis": "art6", "consent": "cns_x",
         "req": "req_y", "nonce": "n"}
    )  # fmt: skip
    old = Leaf.decode(v1)
    assert (old.version, old.cc) == (1, "")
    assert old.encode() == v1  # the hash of a stored v1 leaf never changes


@pytest.mark.parametrize(
    "document",
    [
        {"v": 3},
        {"v": "2"},
        {"v": 1, "cc": "DE"},  # v1 had no country
        {"v": 2, "cc": "Germany"},
        {"v": 2, "cc": "de"},
    ],
)
def test_leaves_of_no_known_format_are_refused(document: dict[str, object]) -> None:
    base = {"type": "disclosure", "ts": 1, "app": "app_a", "subj": pseudonym(b"k" * 32, "7"),
            "prev": -1, "fields": [], "purpose": "p", "basis": "b", "consent": "",
            "req": "req_y", "nonce": "n", "cc": ""}  # fmt: skip
    with pytest.raises(ValueError, match=r"version|cc"):
        Leaf.decode(rfc8785.dumps({**base, **document}))


@pytest.mark.parametrize(
    ("given", "cc"),
    [("DE", "DE"), ("de", "DE"), (" fr ", "FR"), (None, ""), ("", ""), ("DEU", ""), ("1A", "")],
)
def test_a_subjects_country_becomes_an_iso_code_or_nothing(given: str | None, cc: str) -> None:
    assert country_code(given) == cc


@settings(max_examples=40, deadline=None)
@given(leaves=st.lists(st.binary(max_size=64), min_size=1, max_size=200))
def test_roots_agree_with_pymerkle(leaves: list[bytes]) -> None:
    theirs = InmemoryTree(algorithm="sha256")
    for data in leaves:
        theirs.append_entry(data)
    ours = MemoryTree.from_leaves(leaves)
    for size in {1, len(leaves) // 2 or 1, len(leaves)}:
        assert ours.root(size) == theirs.get_root(size)


@settings(max_examples=200, deadline=None)
@given(key=st.binary(min_size=32, max_size=32), subject=text)
def test_pseudonyms_keep_their_published_form(key: bytes, subject: str) -> None:
    """``ps1:`` + unpadded base64url of HMAC-SHA256(key, "subj" 0x00 id): stored leaves are
    found again by recomputing it, so its form may never drift."""
    digest = hmac.new(key, b"subj\x00" + subject.encode(), "sha256").digest()
    expected = "ps1:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pseudonym(key, subject) == expected


@settings(max_examples=50, deadline=None)
@given(count=st.integers(0, 300))
def test_batched_nonces_and_keys_are_whole_and_distinct(count: int) -> None:
    nonces = new_nonces(count)
    assert len(nonces) == count
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24}", n) for n in nonces)  # 144 random bits
    keys = new_pseudonym_keys(count)
    assert len(keys) == count
    assert all(len(k) == 32 for k in keys)
    assert len(set(nonces)) == count
    assert len(set(keys)) == count
