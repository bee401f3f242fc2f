"""The answers the ledger gives about people, put together from leaves the same way by both
ledgers (SQL and memory): recipients from a person's leaves, an app's scope from its leaves
in a window and the people still linkable to them, inclusion proofs for many leaves from one
fetch of nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime

from consentgate.clock import from_micros
from consentgate.ledger.leaves import Leaf, pseudonym
from consentgate.ledger.merkle import NodeReader, inclusion_proof
from consentgate.ledger.protocol import (
    Disclosure,
    InclusionProof,
    Recipient,
    Scope,
    ScopedPerson,
    Usage,
)

__all__ = [
    "ScopeTally",
    "daily_disclosures",
    "disclosures",
    "link",
    "needed_nodes",
    "recipients",
    "scope",
    "usage",
]

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
    leaves: Iterable[tuple[bytes, int]],
    linker: Callable[[set[str]], Mapping[str, str]],
) -> Scope:
    """The scope of ``app_id``'s disclosure ``leaves`` (bytes, time in us) in the window;
    ``linker`` names the people still linkable among the pseudonyms it is given."""
    tally = ScopeTally()
    for data, at_us in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind == DISCLOSURE:
            tally.add(leaf.subj, leaf.fields, at_us, _country(leaf))
    return tally.scope(app_id, start_us, end_us, linker)


class ScopeTally:
    """Per pseudonym: the fields, first and last time, records and country of an app's
    disclosures — what every scope engine (SQL, memory, DuckDB, Spark) reduces to. A
    person's country is the one of their latest disclosure that carries one (the greater
    code on a tie)."""

    def __init__(self) -> None:
        # pseudonym: fields, first, last, records, (country time, country)
        self._people: dict[str, tuple[set[str], int, int, int, tuple[int, str]]] = {}

    def add(self, subj: str, fields: Iterable[str], at_us: int, country: str = "") -> None:
        self.merge(subj, fields=fields, first_us=at_us, last_us=at_us, records=1, country=country)

    def merge(
        self,
        subj: str,
        *,
        fields: Iterable[str],
        first_us: int,
        last_us: int,
        records: int,
        country: str = "",
        country_us: int | None = None,
    ) -> None:
        """Add an already aggregated person (one engine's partial answer); ``country_us`` is
        when ``country`` was seen (``last_us`` if not given)."""
        where = (
            (country_us if country_us is not None else last_us, country) if country else (-1, "")
        )
        found = self._people.get(subj)
        if found is None:
            self._people[subj] = (set(fields), first_us, last_us, records, where)
            return
        names, first, last, count, known = found
        names.update(fields)
        self._people[subj] = (
            names,
            min(first, first_us),
            max(last, last_us),
            count + records,
            max(known, where),
        )

    def scope(
        self,
        app_id: str,
        start_us: int,
        end_us: int,
        linker: Callable[[set[str]], Mapping[str, str]],
    ) -> Scope:
        people = self._people
        linked = linker(set(people)) if people else {}
        per_field: dict[str, int] = {}
        persons = []
        for subj in sorted(people):
            names, first, last, records, (_, country) = people[subj]
            for name in names:
                per_field[name] = per_field.get(name, 0) + 1
            persons.append(
                ScopedPerson(
                    pseudonym=subj,
                    subject_id=linked.get(subj),
                    fields=tuple(sorted(names)),
                    first_us=first,
                    last_us=last,
                    records=records,
                    country=country,
                )
            )
        return Scope(
            app_id=app_id,
            start_us=start_us,
            end_us=end_us,
            records=sum(p.records for p in persons),
            people=len(persons),
            subject_ids=tuple(sorted(linked.values())),
            by_field=dict(sorted(per_field.items())),
            persons=tuple(persons),
        )


def usage(leaves: Iterable[bytes]) -> list[Usage]:
    """Per (app, purpose): fields, records and people of the disclosure ``leaves``."""
    seen: dict[tuple[str, str], tuple[set[str], set[str], int]] = {}
    for data in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind != DISCLOSURE:
            continue
        fields, people, records = seen.get((leaf.app, leaf.purpose), (set(), set(), 0))
        fields.update(leaf.fields)
        people.add(leaf.subj)
        seen[(leaf.app, leaf.purpose)] = (fields, people, records + 1)
    return [
        Usage(app, purpose, tuple(sorted(fields)), records, len(people))
        for (app, purpose), (fields, people, records) in sorted(seen.items())
    ]


def daily_disclosures(leaves: Iterable[bytes]) -> dict[str, dict[date, int]]:
    """Per app (by id), how many disclosure ``leaves`` name it on each UTC day (by the
    leaf's own time)."""
    counts: dict[str, dict[date, int]] = {}
    for data in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind != DISCLOSURE:
            continue
        day = _at(leaf.ts_ms).date()
        per_day = counts.setdefault(leaf.app, {})
        per_day[day] = per_day.get(day, 0) + 1
    return counts


def _country(leaf: Leaf) -> str:
    """The subject's country at disclosure time (leaf format v2; "" when unknown)."""
    return leaf.cc


def _at(ts_ms: int) -> datetime:
    return from_micros(ts_ms * 1000)
