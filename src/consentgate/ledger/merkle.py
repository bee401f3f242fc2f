"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and verification.

Hashes: ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``,
the empty tree's root is ``SHA-256("")``. Proof *generation* works over any ``NodeReader`` —
something that returns the hash of a perfect, aligned subtree (``level``, ``index``) — so a
persisted tree (or tiles) answers a proof with O(log n) reads and no rebuild. Proof
*verification* is the RFC's iterative algorithm (§2.1.3.2 and §2.1.4.2) and takes nothing
from the prover but the proof.

Proofs are always made for a given tree ``size`` (a published checkpoint's), never for the
live tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from consentgate.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "MemoryTree",
    "NodeReader",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> hash of the perfect subtree of 2**level leaves starting at index * 2**level
NodeReader = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(node: NodeReader, start: int, size: int) -> bytes:
    """MTH of leaves ``[start, start + size)`` where that range is a node of the RFC tree."""
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(subtree_hash(node, start, k), subtree_hash(node, start + k, size - k))


def inclusion_proof(node: NodeReader, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, span, offset = 0, size, index
    while span > 1:
        k = _split(span)
        if offset < k:
            path.append(subtree_hash(node, start + k, span - k))
            span = k
        else:
            path.append(subtree_hash(node, start, k))
            start, span, offset = start + k, span - k, offset - k
    path.reverse()
    return path


def consistency_proof(node: NodeReader, first: int, second: int) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    proof: list[bytes] = []
    start, span, m, complete = 0, second, first, True
    while m != span:
        k = _split(span)
        if m <= k:
            proof.append(subtree_hash(node, start + k, span - k))
            span = k
        else:
            proof.append(subtree_hash(node, start, k))
            start, span, m, complete = start + k, span - k, m - k, False
    if not complete:
        proof.append(subtree_hash(node, start, span))
    proof.reverse()
    return proof


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf hash ``leaf`` at ``index`` of the tree
    of ``size`` leaves with ``root`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree (``first``, ``first_root``) is a
    prefix of (``second``, ``second_root``) (RFC 9162 §2.1.4.2, with the edge sizes)."""
    _check_hashes(proof)
    if not 0 <= first <= second:
        raise ProofError(f"size {first} cannot precede size {second}")
    if first == second:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if first_root != second_root:
            raise ProofError("equal sizes with different roots")
        return
    if first == 0:
        if proof:
            raise ProofError("consistency with the empty tree takes an empty proof")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")


def _check_hashes(proof: Sequence[bytes]) -> None:
    if len(proof) > 64:
        raise ProofError("a proof has at most 64 hashes")
    for item in proof:
        if not isinstance(item, bytes) or len(item) != 32:
            raise ProofError("every proof element is a 32-byte SHA-256 hash")


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The root of a tree over these leaf hashes (level by level, O(n))."""
    if not hashes:
        return EMPTY_ROOT
    return MemoryTree(hashes).root(len(hashes))


class MemoryTree:
    """Every perfect subtree's hash, level by level; appends are amortised O(1)."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for digest in leaf_hashes:
            self.append_hash(digest)

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MemoryTree:
        """A tree over leaf data, built level by level (the fast path for verifiers)."""
        sha256 = hashlib.sha256
        return cls.from_leaf_hashes([sha256(b"\x00" + data).digest() for data in leaves])

    @classmethod
    def from_leaf_hashes(cls, hashes: Sequence[bytes]) -> MemoryTree:
        """A tree over leaf hashes, built level by level."""
        sha256 = hashlib.sha256
        level = list(hashes)
        tree = cls()
        tree.levels = [level]
        while len(level) > 1:
            level = [
                sha256(b"\x01" + level[i] + level[i + 1]).digest()
                for i in range(0, len(level) - 1, 2)
            ]
            tree.levels.append(level)
        return tree

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        return self.append_hash(leaf_hash(data))

    def append_hash(self, digest: bytes) -> int:
        index = self.size
        self.levels[0].append(digest)
        level, position = 0, index
        while position & 1:
            parent = node_hash(self.levels[level][position - 1], self.levels[level][position])
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(parent)
            level, position = level + 1, position >> 1
        return index

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return subtree_hash(self.node, 0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if size > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {size}")
        return inclusion_proof(self.node, index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        if second > self.size:
            raise ProofError(f"the tree has {self.size} leaves, not {second}")
        return consistency_proof(self.node, first, second)
