"""What the ledger room offers the rest of consentgate: the ``LedgerStore`` protocol — kept
in SQL by ``SqlLedger`` (``ledger.store``) and in memory by ``MemoryLedger``
(``ledger.memory``) — and the plain results of its three questions about people:

- ``disclosures_of(subject_id)``: the person's leaves, each with an inclusion proof against
  the latest published checkpoint (``proof`` None while none covers it), and the head of
  their chain (walking ``prev`` from it shows none is missing);
- ``recipients_of(subject_id)``: per app, what it received of theirs, when and how often;
- ``scope(app_id, start_us, end_us)``: an app's disclosures in a window — how many records
  and people (per field too), each person's fields and times, and the platform ids of the
  people still linkable (a shredded person is counted, never listed);
- ``usage(start_us, end_us)``: per app and purpose, what was disclosed in a window (the
  records of processing); ``rows`` and ``link`` give the stored leaves and the pseudonym ->
  person mapping the analytics engines need (the mapping never leaves the server);
- ``app_leaves(app_ids, end=size)``: the leaves of some apps below a checkpoint's size (the
  political transparency register counts people from them).

Each is answered on one connection, whatever the number of leaves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
    "ScopedPerson",
    "StoredLeaf",
    "Usage",
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
class ScopedPerson:
    """One person in a scope: what the app's leaves in the window say it got of theirs."""

    pseudonym: str  # the ``ps1:`` pseudonym of their leaves (stays inside the server)
    subject_id: str | None  # the platform id; None once their key was shredded (erased)
    fields: tuple[str, ...]  # sorted
    first_us: int
    last_us: int
    records: int
    country: str = ""  # from the leaves (format v2 ``cc``) where present; "" unknown


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
    persons: tuple[ScopedPerson, ...] = ()  # every person counted, by pseudonym

    @property
    def unlinked(self) -> int:
        """People counted whose key was shredded (erased): no longer nameable."""
        return self.people - len(self.subject_ids)


@dataclass(frozen=True)
class StoredLeaf:
    """A leaf as the store keeps it: its index, exact bytes and the disclosure time in us."""

    index: int
    data: bytes
    at_us: int


@dataclass(frozen=True)
class Usage:
    """What one app received for one purpose in a window (records of processing)."""

    app_id: str
    purpose: str
    fields: tuple[str, ...]  # sorted
    records: int
    people: int


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

    def checkpoint_signed_at(self) -> datetime | None:
        """When the latest checkpoint was signed (None: none was)."""
        ...

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

    def range_proof(self, start: int, end: int, size: int) -> list[bytes]:
        """The hashes proving leaves ``[start, end)`` belong to the published tree of
        ``size`` (``merkle.range_proof``): what an exported range is verified with."""
        ...

    def subject_pseudonym(self, subject_id: str) -> str | None: ...

    def disclosures_of(
        self, subject_id: str, *, after: int | None = None, limit: int | None = None
    ) -> Disclosures: ...

    def recipients_of(self, subject_id: str) -> list[Recipient]: ...

    def scope(self, app_id: str, start_us: int, end_us: int) -> Scope: ...

    def rows(
        self,
        start: int,
        end: int | None = None,
        *,
        app_id: str | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[StoredLeaf]:
        """Stored leaves with ``start <= index < end`` (to the last when ``end`` is None),
        optionally only one app's and only those with ``start_us <= at_us < end_us``."""
        ...

    def link(self, pseudonyms: Collection[str], *, since_index: int = 0) -> dict[str, str]:
        """Pseudonym -> platform id for those of ``pseudonyms`` still linkable whose chain
        reaches ``since_index`` or later (a shredded person is never found)."""
        ...

    def usage(self, start_us: int, end_us: int) -> list[Usage]:
        """Per (app, purpose), the fields, records and people of the disclosures with
        ``start_us <= at_us < end_us``, sorted by app and purpose."""
        ...
