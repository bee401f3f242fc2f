"""What the ledger room offers the rest of consentgate: the ``LedgerStore`` protocol — kept
in SQL by ``SqlLedger`` (``ledger.store``) and in memory by ``MemoryLedger``
(``ledger.memory``) — and the plain results of its three questions about people:

- ``disclosures_of(subject_id)``: the person's leaves, each with an inclusion proof against
  the latest published checkpoint (``proof`` None while none covers it), and the head of
  their chain (walking ``prev`` from it shows none is missing);
- ``recipients_of(subject_id)``: per app, what it received of theirs, when and how often;
- ``scope(app_id, start_us, end_us)``: an app's disclosures in a window — how many records
  and people (per field too), and the platform ids of the people still linkable (a shredded
  person is counted, never listed);
- ``app_leaves(app_ids, end=size)``: the leaves of some apps below a checkpoint's size (the
  political transparency register counts people from them).

Each is answered on one connection, whatever the number of leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from consentgate.ledger.checkpoint import Checkpoint
from consentgate.ledger.leaves import Entry, Leaf
from consentgate.ledger.note import NoteVerifier

__all__ = [
    "Disclosure",
    "Disclosures",
    "Entry",
    "InclusionProof",
    "LedgerStore",
    "Recipient",
    "Scope",
]


@dataclass(frozen=True)
class InclusionProof:
    size: int  # the checkpoint's tree size
    hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class Disclosure:
    index: int
    data: bytes  # the exact leaf bytes
    leaf: Leaf
    proof: InclusionProof | None  # against ``Disclosures.checkpoint``; None: not yet covered


@dataclass(frozen=True)
class Disclosures:
    items: tuple[Disclosure, ...]
    chain_head: int | None  # the index of the person's latest leaf
    checkpoint: str | None  # the latest signed checkpoint note (what the proofs are against)


@dataclass(frozen=True)
class Recipient:
    """One app that received a person's data, from the ledger."""

    app_id: str
    fields: tuple[str, ...]
    purposes: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    disclosures: int


@dataclass(frozen=True)
class Scope:
    """An app's disclosures in ``[start_us, end_us)``."""

    app_id: str
    start_us: int
    end_us: int
    records: int  # disclosure leaves
    people: int  # distinct people among them, shredded ones included
    subject_ids: tuple[str, ...]  # platform ids of the people still linkable, sorted
    by_field: dict[str, int] = field(default_factory=dict)  # people per field

    @property
    def unlinked(self) -> int:
        """People counted whose key was shredded (erased): no longer nameable."""
        return self.people - len(self.subject_ids)


class LedgerStore(Protocol):
    """The disclosure ledger (RFC 9162 log): leaves appended in the caller's commit, signed
    checkpoints, proofs only against a published size, pseudonym keys apart from the log."""

    @property
    def verifier(self) -> NoteVerifier: ...

    def append(self, entries: Sequence[Entry]) -> list[int]:
        """Write ``entries`` as leaves (in one transaction); their indices."""
        ...

    def integrate(self, *, now: datetime | None = None) -> Checkpoint:
        """Extend the tree over every appended leaf and sign a checkpoint of its size."""
        ...

    def shred(self, subject_id: str) -> bool:
        """Destroy the subject's pseudonym key (their leaves become unlinkable)."""
        ...

    def size(self) -> int: ...

    def latest_note(self) -> str | None: ...

    def checkpoint(self) -> Checkpoint | None: ...

    def checkpoint_before(self, at_us: int) -> Checkpoint | None:
        """The latest checkpoint signed at or before ``at_us`` (None: none was)."""
        ...

    def checkpoint_of(self, size: int) -> Checkpoint | None:
        """The published checkpoint of tree size ``size`` (None: none was published)."""
        ...

    def app_leaves(self, app_ids: Sequence[str], *, end: int) -> list[tuple[int, bytes]]:
        """(index, leaf bytes) of the leaves naming one of ``app_ids``, below index ``end``,
        in index order."""
        ...

    def leaves(self, start: int, end: int) -> list[tuple[int, bytes]]: ...

    def inclusion_proof(self, index: int, size: int) -> list[bytes]: ...

    def consistency_proof(self, first: int, second: int) -> list[bytes]: ...

    def subject_pseudonym(self, subject_id: str) -> str | None: ...

    def disclosures_of(
        self, subject_id: str, *, after: int | None = None, limit: int | None = None
    ) -> Disclosures: ...

    def recipients_of(self, subject_id: str) -> list[Recipient]: ...

    def scope(self, app_id: str, start_us: int, end_us: int) -> Scope: ...
