"""Leaf encoding is RFC 8785 (held to the ``rfc8785`` reference implementation), and our
tree agrees with an independent library (pymerkle) on every root."""

from __future__ import annotations

import base64
import hmac
import re

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from consentgate.ledger.leaves import Leaf, new_nonces, new_pseudonym_keys, pseudonym
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
)
def test_leaf_bytes_are_rfc_8785(
    ts: int, app: str, subject: str, prev: int, fields: list[str], purpose: str, basis: str,
    consent: str, req: str, nonce: str, kind: str,
) -> None:  # fmt: skip
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
    )
    encoded = leaf.encode()
    reference = rfc8785.dumps(
        {
            "v": 1, "type": kind, "ts": ts, "app": leaf.app, "subj": leaf.subj, "prev": prev,
            "fields": list(fields), "purpose": purpose, "basis": basis, "consent": leaf.consent,
            "req": leaf.req, "nonce": nonce,
        }
    )  # fmt: skip
    assert encoded == reference
    assert Leaf.decode(encoded) == leaf


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
