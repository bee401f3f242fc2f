"""``consentgate ledger verify --database URL``: check the stored ledger end to end — every
leaf decodes and its hash is the stored level-0 node, indices are dense, every stored node is
the hash of its children, every stored checkpoint is signed and matches the tree at its
size, sizes only grow, and every subject chain (``prev``) links leaves of one pseudonym.
Every column stored beside a leaf for the questions asked of it (pseudonym, app, time: what
a breach's scope and a person's disclosures read) must agree with the leaf, every chain
head in ``subject_keys`` must be its pseudonym's latest leaf, and every node of the
published tree must be stored. The first failure is reported with the leaf index it
concerns; a damaged row is a failure, never a crash."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consentgate.ledger.checkpoint import CheckpointError, open_checkpoint
from consentgate.ledger.contents import ChainCheck
from consentgate.ledger.leaves import Leaf, pseudonym
from consentgate.ledger.merkle import MemoryTree, leaf_hash
from consentgate.ledger.note import NoteVerifier
from consentgate.storage.database import Database
from consentgate.storage.tables import (
    ledger_checkpoints,
    ledger_leaves,
    ledger_nodes,
    subject_keys,
)

__all__ = ["FsckResult", "check_database"]


@dataclass(frozen=True)
class FsckResult:
    ok: bool
    size: int
    failed_index: int | None = None
    problem: str | None = None

    def line(self) -> str:
        if self.ok:
            return f"OK size={self.size}"
        index = "-" if self.failed_index is None else str(self.failed_index)
        return f"FAIL index={index}: {self.problem}"


def check_database(db: Database, verifier: NoteVerifier, *, since: str | None = None) -> FsckResult:
    tree = MemoryTree()
    chains = ChainCheck()
    with db.connect() as connection:
        nodes = {
            (int(level), int(index)): digest
            for level, index, digest in connection.execute(
                select(ledger_nodes.c.level, ledger_nodes.c.idx, ledger_nodes.c.hash)
            )
        }
        leaves = connection.execute(
            select(
                ledger_leaves.c.idx,
                ledger_leaves.c.data,
                ledger_leaves.c.pseudonym,
                ledger_leaves.c.app_id,
                ledger_leaves.c.at_us,
            ).order_by(ledger_leaves.c.idx)
        )
        for index, data, *stored in leaves:
            if index != tree.size:
                return FsckResult(False, tree.size, tree.size, "leaf missing (indices not dense)")
            if not isinstance(data, bytes | memoryview | bytearray):
                return FsckResult(False, tree.size, index, "leaf is not stored as bytes")
            raw = bytes(data)
            leaf = chains.check(index, raw)
            if isinstance(leaf, str):
                return FsckResult(False, tree.size, index, leaf)
            problem = _derived_problem(leaf, *stored)
            if problem is not None:
                return FsckResult(False, tree.size, index, problem)
            stored_hash = nodes.get((0, index))
            if stored_hash is not None and stored_hash != leaf_hash(raw):
                return FsckResult(False, tree.size, index, "leaf hash differs from the stored tree")
            tree.append(raw)
        heads = [
            (str(subject), key, head)
            for subject, key, head in connection.execute(
                select(subject_keys.c.subject_id, subject_keys.c.pseudonym_key, subject_keys.c.head)
            )
        ]
        checkpoints = list(
            connection.execute(
                select(ledger_checkpoints.c.size, ledger_checkpoints.c.note).order_by(
                    ledger_checkpoints.c.size
                )
            )
        )
    published = checkpoints[-1][0] if checkpoints else 0
    problem_at = _nodes_problem(nodes, tree, published)
    if problem_at is not None:
        return FsckResult(False, tree.size, problem_at[0], problem_at[1])
    for size, note in checkpoints:
        try:
            checkpoint = open_checkpoint(note, verifier)
        except CheckpointError as exc:
            return FsckResult(False, tree.size, None, f"checkpoint {size}: {exc}")
        if checkpoint.size != size or size > tree.size:
            return FsckResult(
                False, tree.size, min(size, tree.size), f"checkpoint {size} covers missing leaves"
            )
        if tree.root(size) != checkpoint.root:
            return FsckResult(
                False, tree.size, None, f"checkpoint {size} does not match the leaves"
            )
    head_problem = _heads_problem(heads, chains.heads)
    if head_problem is not None:
        return FsckResult(False, tree.size, head_problem[0], head_problem[1])
    if since is not None:
        try:
            saved = open_checkpoint(since, verifier)
        except CheckpointError as exc:
            return FsckResult(False, tree.size, None, f"the saved checkpoint: {exc}")
        latest = checkpoints[-1][0] if checkpoints else 0
        if saved.size > latest or saved.size > tree.size:
            return FsckResult(
                False, tree.size, min(latest, tree.size), "rolled back below a saved checkpoint"
            )
        if tree.root(saved.size) != saved.root:
            return FsckResult(
                False, tree.size, None, "the leaves no longer match a saved checkpoint"
            )
    return FsckResult(True, tree.size)


def _derived_problem(
    leaf: Leaf, stored_pseudonym: object, app_id: object, at_us: object
) -> str | None:
    """What a column derived from ``leaf`` says that the leaf does not."""
    if leaf.subj != stored_pseudonym:
        return "pseudonym index disagrees with leaf"
    if leaf.app != app_id:
        return "stored app_id disagrees with leaf"
    if not isinstance(at_us, int) or at_us // 1000 != leaf.ts_ms:
        return "stored time (at_us) disagrees with leaf"
    return None


def _heads_problem(
    rows: list[tuple[str, object, object]], latest: dict[str, int]
) -> tuple[int | None, str] | None:
    """The first subject key whose chain head is not its pseudonym's latest leaf."""
    for subject, key, head in rows:
        if not isinstance(key, bytes | memoryview | bytearray):
            return None, "a pseudonym key is not stored as bytes"
        expected = latest.get(pseudonym(bytes(key), subject))
        if head != expected:
            index = expected if isinstance(expected, int) else None
            return index, f"a chain head is {head}, its latest leaf {expected}"
    return None


def _nodes_problem(
    nodes: dict[tuple[int, int], object], tree: MemoryTree, published: int
) -> tuple[int, str] | None:
    """The first stored node that is wrong, or node of the published tree that is missing."""
    for (level, index), digest in nodes.items():
        span = 1 << level
        if (index + 1) * span > tree.size or tree.node(level, index) != digest:
            return index * span, f"stored node {level}/{index} is wrong"
    level = 0
    while published >> level:
        for index in range(published >> level):
            if (level, index) not in nodes:
                return index << level, f"stored node {level}/{index} is missing"
        level += 1
    return None
