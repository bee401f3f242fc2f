"""``MemoryLedger``: the ledger's in-memory twin, on ``ledger.merkle.MemoryTree``, for fast
tests. Same protocol, same leaves (``leaves.encode_batch``), same checkpoints and proofs as
``SqlLedger``; ``snapshot``/``restore`` let a memory ``Stores`` bundle undo a failed
transaction."""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.errors import ProofError
from consentgate.ledger import reports
from consentgate.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from consentgate.ledger.leaves import Entry, LeafRow, encode_batch, pseudonym
from consentgate.ledger.merkle import MemoryTree, range_proof
from consentgate.ledger.note import NoteSigner, NoteVerifier
from consentgate.ledger.protocol import Disclosures, Recipient, Scope, StoredLeaf, Usage

__all__ = ["MemoryLedger"]


@dataclass
class _State:
    leaves: list[LeafRow] = field(default_factory=list)
    keys: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # subject: key, head
    tree: MemoryTree = field(default_factory=MemoryTree)  # the integrated leaves
    notes: list[str] = field(default_factory=list)  # signed checkpoints, smallest first
    signed_us: list[int] = field(default_factory=list)  # when each was signed


class MemoryLedger:
    def __init__(self, signer: NoteSigner, *, lock: threading.RLock | None = None) -> None:
        self.signer = signer
        self._lock = lock or threading.RLock()
        self._state = _State()

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    def snapshot(self) -> _State:
        with self._lock:
            return copy.deepcopy(self._state)

    def restore(self, state: _State) -> None:
        with self._lock:
            self._state = state

    def append(self, entries: Sequence[Entry]) -> list[int]:
        if not entries:
            return []
        with self._lock:
            state = self._state
            keys = {s: key for s, (key, _) in state.keys.items()}
            heads = {s: head for s, (_, head) in state.keys.items()}
            batch = encode_batch(entries, next_index=len(state.leaves), keys=keys, heads=heads)
            state.leaves.extend(batch.rows)
            for subject, head in batch.heads.items():
                state.keys[subject] = (batch.fresh.get(subject) or keys[subject], head)
            return [row[0] for row in batch.rows]

    def integrate(self, *, now: datetime | None = None) -> Checkpoint:
        with self._lock:
            state = self._state
            latest = self._latest()
            if latest is not None and latest.size == len(state.leaves):
                return latest
            for _, data, *_ in state.leaves[state.tree.size :]:
                state.tree.append(data)
            checkpoint = Checkpoint(self.signer.name, state.tree.size, state.tree.root())
            state.notes.append(sign_checkpoint(checkpoint, self.signer))
            state.signed_us.append(to_micros(now or utc_now()))
            return checkpoint

    def shred(self, subject_id: str) -> bool:
        with self._lock:
            return self._state.keys.pop(subject_id, None) is not None

    def size(self) -> int:
        with self._lock:
            return len(self._state.leaves)

    def latest_note(self) -> str | None:
        with self._lock:
            return self._state.notes[-1] if self._state.notes else None

    def checkpoint(self) -> Checkpoint | None:
        with self._lock:
            return self._latest()

    def checkpoint_signed_at(self) -> datetime | None:
        with self._lock:
            signed = self._state.signed_us
            return from_micros(signed[-1]) if signed else None

    def checkpoint_before(self, at_us: int) -> Checkpoint | None:
        with self._lock:
            state = self._state
            signed = [n for n, t in zip(state.notes, state.signed_us, strict=True) if t <= at_us]
            return open_checkpoint(signed[-1], self.verifier) if signed else None

    def checkpoint_of(self, size: int) -> Checkpoint | None:
        with self._lock:
            for note in self._state.notes:
                checkpoint = open_checkpoint(note, self.verifier)
                if checkpoint.size == size:
                    return checkpoint
            return None

    def app_leaves(self, app_ids: Sequence[str], *, end: int) -> list[tuple[int, bytes]]:
        wanted = set(app_ids)
        with self._lock:
            return [
                (row[0], row[1]) for row in self._state.leaves[: max(0, end)] if row[3] in wanted
            ]

    def leaves(self, start: int, end: int) -> list[tuple[int, bytes]]:
        with self._lock:
            return [(row[0], row[1]) for row in self._state.leaves[max(0, start) : max(0, end)]]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._lock:
            self._published(size)
            return self._state.tree.inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        with self._lock:
            self._published(second)
            return self._state.tree.consistency_proof(first, second)

    def range_proof(self, start: int, end: int, size: int) -> list[bytes]:
        with self._lock:
            self._published(size)
            return range_proof(self._state.tree.node, start, end, size)

    def subject_pseudonym(self, subject_id: str) -> str | None:
        with self._lock:
            found = self._state.keys.get(subject_id)
        return None if found is None else pseudonym(found[0], subject_id)

    def disclosures_of(
        self, subject_id: str, *, after: int | None = None, limit: int | None = None
    ) -> Disclosures:
        with self._lock:
            note = self.latest_note()
            found = self._state.keys.get(subject_id)
            if found is None:
                return Disclosures((), None, note)
            mine = self._of(subject_id)
            leaves = [(i, d) for i, d in mine if after is None or i > after][:limit]
            size = None if note is None else open_checkpoint(note, self.verifier).size
            items = reports.disclosures(leaves, size=size, read=self._state.tree.node)
            return Disclosures(tuple(items), found[1], note)

    def recipients_of(self, subject_id: str) -> list[Recipient]:
        with self._lock:
            return reports.recipients(data for _, data in self._of(subject_id))

    def scope(self, app_id: str, start_us: int, end_us: int) -> Scope:
        with self._lock:
            rows = [
                row
                for row in self._state.leaves
                if row[3] == app_id and start_us <= row[4] < end_us
            ]
            first = rows[0][0] if rows else 0
            return reports.scope(
                app_id,
                start_us,
                end_us,
                ((row[1], row[4]) for row in rows),
                lambda wanted: self.link(wanted, since_index=first),
            )

    def rows(
        self,
        start: int,
        end: int | None = None,
        *,
        app_id: str | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[StoredLeaf]:
        with self._lock:
            chosen = self._state.leaves[max(0, start) : end if end is None else max(0, end)]
            return [
                StoredLeaf(row[0], row[1], row[4])
                for row in chosen
                if (app_id is None or row[3] == app_id)
                and (start_us is None or row[4] >= start_us)
                and (end_us is None or row[4] < end_us)
            ]

    def link(self, pseudonyms: Collection[str], *, since_index: int = 0) -> dict[str, str]:
        with self._lock:
            candidates = [
                (s, key) for s, (key, head) in self._state.keys.items() if head >= since_index
            ]
        return reports.link(set(pseudonyms), candidates) if pseudonyms else {}

    def usage(self, start_us: int, end_us: int) -> list[Usage]:
        with self._lock:
            return reports.usage(
                row[1] for row in self._state.leaves if start_us <= row[4] < end_us
            )

    def _of(self, subject_id: str) -> list[tuple[int, bytes]]:
        mine = self.subject_pseudonym(subject_id)
        return [(row[0], row[1]) for row in self._state.leaves if row[2] == mine]

    def _latest(self) -> Checkpoint | None:
        notes = self._state.notes
        return open_checkpoint(notes[-1], self.verifier) if notes else None

    def _published(self, size: int) -> None:
        latest = self._latest()
        if latest is None or size > latest.size or size < 0:
            raise ProofError(f"no published checkpoint covers size {size}")
