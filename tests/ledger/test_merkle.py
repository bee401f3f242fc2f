"""RFC 9162 Merkle tree: known answers, every proof of every tree up to 70 leaves, corrupted
proofs (index +-1, wrong size, one bit flipped, truncated, padded) all rejected, an
independent recursive reference, and hypothesis for larger random trees."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# a copy of shared/testdata/rfc6962_known_answers.json (transparency-dev/merkle's vectors),
# kept in the repository so a clone tests itself
KAT = json.loads((Path(__file__).parent / "data/rfc6962_known_answers.json").read_text())
SIZES = range(71)


def _data(i: int) -> bytes:
    return f"leaf {i}".encode()


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    return MemoryTree(leaf_hash(_data(i)) for i in range(max(SIZES)))  # type: ignore[arg-type]


# --- an independent reference, written straight from the RFC's recursive definitions ----


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


# --- known answers ---------------------------------------------------------------------


def test_known_answer_roots_and_proofs() -> None:
    leaves = [bytes.fromhex(x) for x in KAT["leaves"]]
    t = MemoryTree()
    assert t.root().hex() == KAT["empty_tree_root"] == EMPTY_ROOT.hex()
    for i, data in enumerate(leaves):
        t.append(data)
        assert t.root().hex() == KAT["roots"][i]
    for case in KAT["inclusion"]:
        proof = t.inclusion_proof(case["leaf"] - 1, case["size"])
        assert [p.hex() for p in proof] == case["proof"]
    for case in KAT["consistency"]:
        proof = t.consistency_proof(case["first"], case["second"])
        assert [p.hex() for p in proof] == case["proof"]


# --- every proof of every small tree, and its corruptions ------------------------------


def _flips(proof: list[bytes]) -> list[list[bytes]]:
    out = []
    for i, item in enumerate(proof):
        for bit in (0, 255):
            flipped = bytearray(item)
            flipped[bit // 8] ^= 1 << (bit % 8)
            out.append([*proof[:i], bytes(flipped), *proof[i + 1 :]])
    return out


def _rejects(verify, *args) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProofError):
        verify(*args)


def test_every_inclusion_proof_up_to_70_leaves_and_its_corruptions(tree: MemoryTree) -> None:
    data = [_data(i) for i in range(max(SIZES))]
    for size in SIZES:
        if size == 0:
            continue
        root = tree.root(size)
        assert root == mth(data[:size])
        for index in range(size):
            leaf = leaf_hash(data[index])
            proof = tree.inclusion_proof(index, size)
            assert proof == path(index, data[:size])
            verify_inclusion(index, size, leaf, proof, root)
            for other in (index - 1, index + 1):
                if 0 <= other < size:
                    _rejects(verify_inclusion, other, size, leaf, proof, root)
            # wrong tree size (as transparency-dev probes it: a size of another height; a
            # neighbouring size can share the audit path's shape, and the size is bound by
            # the signed checkpoint, not by the proof)
            for wrong_size in (2 * size, size // 2):
                if wrong_size > index:
                    _rejects(verify_inclusion, index, wrong_size, leaf, proof, root)
            for bad in _flips(proof):
                _rejects(verify_inclusion, index, size, leaf, bad, root)
            if proof:
                _rejects(verify_inclusion, index, size, leaf, proof[:-1], root)
            _rejects(verify_inclusion, index, size, leaf, [*proof, root], root)
            _rejects(verify_inclusion, index, size, leaf_hash(b"x"), proof, root)


def test_every_consistency_proof_up_to_70_leaves_and_its_corruptions(tree: MemoryTree) -> None:
    data = [_data(i) for i in range(max(SIZES))]
    for second in SIZES:
        second_root = tree.root(second)
        for first in range(second + 1):
            first_root = tree.root(first)
            proof = tree.consistency_proof(first, second)
            if 0 < first < second:
                assert proof == subproof(first, data[:second], True)
            verify_consistency(first, second, first_root, second_root, proof)
            if first == 0 or first == second:
                _rejects(verify_consistency, first, second, first_root, second_root, [second_root])
                continue
            for bad in _flips(proof):
                _rejects(verify_consistency, first, second, first_root, second_root, bad)
            _rejects(verify_consistency, first, second, first_root, second_root, proof[:-1])
            _rejects(
                verify_consistency, first, second, first_root, second_root, [*proof, first_root]
            )
            _rejects(verify_consistency, first, second, second_root, second_root, proof)
            _rejects(verify_consistency, first, second, first_root, first_root, proof)
            for a, b in ((2 * first, second), (first, 2 * second), (first // 2, second)):
                if 0 < a < b:
                    _rejects(verify_consistency, a, b, first_root, second_root, proof)


def test_proofs_refuse_sizes_beyond_the_tree(tree: MemoryTree) -> None:
    with pytest.raises(ProofError):
        tree.inclusion_proof(3, tree.size + 1)
    with pytest.raises(ProofError):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ProofError):
        tree.consistency_proof(4, 3)
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, leaf_hash(b"a"), [b"short"], leaf_hash(b"a"))


# --- larger random trees ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 5000), data=st.data())
def test_random_trees(size: int, data: st.DataObject) -> None:
    t = MemoryTree(leaf_hash(i.to_bytes(4, "big")) for i in range(size))  # type: ignore[arg-type]
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(0, size))
    root = t.root()
    leaf = leaf_hash(index.to_bytes(4, "big"))
    proof = t.inclusion_proof(index, size)
    verify_inclusion(index, size, leaf, proof, root)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        flipped = bytearray(proof[position])
        flipped[bit // 8] ^= 1 << (bit % 8)
        bad = [*proof[:position], bytes(flipped), *proof[position + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, bad, root)
    consistency = t.consistency_proof(first, size)
    verify_consistency(first, size, t.root(first), root, consistency)
    if 0 < first < size:
        with pytest.raises(ProofError):
            verify_consistency(first, size, t.root(first), node_hash(root, root), consistency)


@settings(max_examples=40, deadline=None)
@given(leaves=st.lists(st.binary(max_size=40), max_size=300))
def test_the_level_by_level_build_is_the_same_tree(leaves: list[bytes]) -> None:
    incremental = MemoryTree([leaf_hash(d) for d in leaves])
    built = MemoryTree.from_leaves(leaves)
    assert built.levels == incremental.levels
    assert built.root() == incremental.root() == mth(leaves)
