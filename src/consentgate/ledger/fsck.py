"""``consentgate ledger verify --database URL``: check the stored ledger end to end — every
leaf decodes and its hash is the stored level-0 node, indices are dense, every stored node is
the hash of its children, every stored checkpoint is signed and matches the tree at its
size, sizes only grow, and every subject chain (``prev``) links leaves of one pseudonym.
The first failure is reported with the leaf index it concerns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consentgate.ledger.checkpoint import CheckpointError, open_checkpoint
from consentgate.ledger.leaves import Leaf
from consentgate.ledger.merkle import MemoryTree, leaf_hash
from consentgate.ledger.note import NoteVerifier
from consentgate.storage.database import Database
from consentgate.storage.tables import ledger_checkpoints, ledger_leaves, ledger_nodes

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
    previous: dict[str, int] = {}  # pseudonym -> index of its latest leaf so far
    with db.connect() as connection:
        nodes = {
            (int(level), int(index)): bytes(digest)
            for level, index, digest in connection.execute(
                select(ledger_nodes.c.level, ledger_nodes.c.idx, ledger_nodes.c.hash)
            )
        }
        leaves = connection.execute(
            select(ledger_leaves.c.idx, ledger_leaves.c.data, ledger_leaves.c.pseudonym).order_by(
                ledger_leaves.c.idx
            )
        )
        for index, data, stored_pseudonym in leaves:
            raw = bytes(data)
            if index != tree.size:
                return FsckResult(False, tree.size, tree.size, "leaf missing (indices not dense)")
            try:
                leaf = Leaf.decode(raw)
            except (ValueError, KeyError, TypeError):
                return FsckResult(False, tree.size, index, "leaf does not decode")
            if leaf.encode() != raw:
                return FsckResult(False, tree.size, index, "leaf is not canonical JSON")
            if leaf.subj != stored_pseudonym:
                return FsckResult(False, tree.size, index, "pseudonym index disagrees with leaf")
            expected_prev = previous.get(leaf.subj, -1)
            if leaf.prev != expected_prev:
                return FsckResult(False, tree.size, index, "subject chain broken (prev)")
            previous[leaf.subj] = index
            stored = nodes.get((0, index))
            if stored is not None and stored != leaf_hash(raw):
                return FsckResult(False, tree.size, index, "leaf hash differs from the stored tree")
            tree.append(raw)
        checkpoints = list(
            connection.execute(
                select(ledger_checkpoints.c.size, ledger_checkpoints.c.note).order_by(
                    ledger_checkpoints.c.size
                )
            )
        )
    for (level, index), digest in nodes.items():
        span = 1 << level
        if (index + 1) * span > tree.size or tree.node(level, index) != digest:
            return FsckResult(
                False, tree.size, index * span, f"stored node {level}/{index} is wrong"
            )
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
