"""The answers the ledger gives about people, put together from leaves the same way by both
ledgers (SQL and memory): recipients from a person's leaves, an app's scope from its leaves
in a window and the people still linkable to them, inclusion proofs for many leaves from one
fetch of nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from consentgate.clock import from_micros
from consentgate.ledger.leaves import Leaf, pseudonym
from consentgate.ledger.merkle import NodeReader, inclusion_proof
from consentgate.ledger.protocol import Disclosure, InclusionProof, Recipient, Scope

__all__ = ["disclosures", "link", "needed_nodes", "recipients", "scope"]

DISCLOSURE = "disclosure"


def needed_nodes(indices: Iterable[int], size: int) -> set[tuple[int, int]]:
    """The stored nodes the inclusion proofs of ``indices`` in a tree of ``size`` read
    (which nodes a proof needs does not depend on their values)."""
    needed: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        needed.add((level, index))
        return b"\x00" * 32

    for index in indices:
        inclusion_proof(record, index, size)
    return needed


def disclosures(
    leaves: Iterable[tuple[int, bytes]], *, size: int | None, read: NodeReader
) -> list[Disclosure]:
    """Each leaf decoded, with its proof in the tree of ``size`` (None: no checkpoint, or
    the leaf is past it)."""
    found = []
    for index, data in leaves:
        proof = None
        if size is not None and index < size:
            proof = InclusionProof(size, tuple(inclusion_proof(read, index, size)))
        found.append(Disclosure(index, data, Leaf.decode(data), proof))
    return found


def recipients(leaves: Iterable[bytes]) -> list[Recipient]:
    """Per app (by id), what a person's disclosure leaves say it received."""
    seen: dict[str, tuple[set[str], set[str], int, int, int]] = {}
    for data in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind != DISCLOSURE:
            continue
        fields, purposes, first, last, count = seen.get(
            leaf.app, (set(), set(), leaf.ts_ms, leaf.ts_ms, 0)
        )
        fields.update(leaf.fields)
        purposes.add(leaf.purpose)
        seen[leaf.app] = (
            fields,
            purposes,
            min(first, leaf.ts_ms),
            max(last, leaf.ts_ms),
            count + 1,
        )
    return [
        Recipient(
            app_id=app_id,
            fields=tuple(sorted(fields)),
            purposes=tuple(sorted(purposes)),
            first_at=_at(first),
            last_at=_at(last),
            disclosures=count,
        )
        for app_id, (fields, purposes, first, last, count) in sorted(seen.items())
    ]


def link(wanted: set[str], candidates: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """Pseudonym → platform id for those of ``wanted`` whose subject key is among
    ``candidates`` (subject id, key); a shredded subject has no key and is not found."""
    linked = {}
    for subject_id, key in candidates:
        mine = pseudonym(key, subject_id)
        if mine in wanted:
            linked[mine] = subject_id
    return linked


def scope(
    app_id: str,
    start_us: int,
    end_us: int,
    leaves: Iterable[bytes],
    linker: Callable[[set[str]], Mapping[str, str]],
) -> Scope:
    """The scope of ``app_id``'s disclosure ``leaves`` in the window; ``linker`` names the
    people still linkable among the pseudonyms it is given."""
    people: set[str] = set()
    per_field: dict[str, set[str]] = {}
    records = 0
    for data in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind != DISCLOSURE:
            continue
        records += 1
        people.add(leaf.subj)
        for name in leaf.fields:
            per_field.setdefault(name, set()).add(leaf.subj)
    linked = linker(people) if people else {}
    return Scope(
        app_id=app_id,
        start_us=start_us,
        end_us=end_us,
        records=records,
        people=len(people),
        subject_ids=tuple(sorted(linked.values())),
        by_field={name: len(who) for name, who in sorted(per_field.items())},
    )


def _at(ts_ms: int) -> datetime:
    return from_micros(ts_ms * 1000)
