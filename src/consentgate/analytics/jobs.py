"""The scope job's one answer, whichever engine computes it: per pseudonym, the fields the
app received, first and last time, records, the latest known country and the first leaf
index — and how that becomes the ledger's ``Scope`` (linking pseudonyms to people through
the ledger store, inside the server)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from consentgate.ledger import Scope, ScopeTally

__all__ = ["PersonRow", "scope_from_rows"]


@dataclass(frozen=True)
class PersonRow:
    subj: str
    fields: tuple[str, ...]  # sorted, distinct
    first_us: int
    last_us: int
    records: int
    country_us: int | None  # when ``country`` was seen (None: no leaf carried one)
    country: str
    first_idx: int


def scope_from_rows(
    rows: Iterable[PersonRow],
    *,
    app_id: str,
    start_us: int,
    end_us: int,
    link: Callable[[set[str], int], Mapping[str, str]],
) -> Scope:
    """The ``Scope`` of the engine's rows; ``link(pseudonyms, since_index)`` names people."""
    tally = ScopeTally()
    first = None
    for row in rows:
        tally.merge(
            row.subj,
            fields=row.fields,
            first_us=row.first_us,
            last_us=row.last_us,
            records=row.records,
            country=row.country,
            country_us=row.country_us,
        )
        first = row.first_idx if first is None else min(first, row.first_idx)
    since = first or 0
    return tally.scope(app_id, start_us, end_us, lambda wanted: link(wanted, since))
