"""How the political transparency register counts, and what it publishes — pure functions,
used alike by the server (``register``) and by anyone recounting from the ledger
(``recount``), so that both sides apply one rule.

**Counting.** ``count_reach`` reads ledger leaves: for each app, the distinct people (leaf
pseudonyms; one random key per person, so one pseudonym per person) named by a
``disclosure`` leaf for the political purpose, in total and per country (the leaf's ``cc``,
the person's country when they were disclosed; ``ZZ`` when unknown — every v1 leaf). A
person who moved is counted in each country they were disclosed from, once in the total.

**Publishing** (``publish``), with ``min_cell_size`` (10):

1. *Primary suppression* — any count below ``min_cell_size`` (the total included) is
   published as ``null``: no cell describes fewer than ten people, so no one is singled out
   by a count of one or two.
2. *Complementary suppression* (differencing across countries and the total) — if the
   country counts hidden by rule 1 add up to between 1 and ``min_cell_size - 1`` while the
   total is shown, the total minus the shown countries would give them away (exactly, as
   long as nobody moved). Then the smallest shown country counts are hidden too (ties: the
   lower code first), until the hidden ones add up to at least ``min_cell_size``, or all
   are hidden. A shown count is never below ``min_cell_size``; what is hidden can only be
   bounded, never recovered.

Differencing between two checkpoints is the register's business, not this module's: see
``register`` (the checkpoint moves on once per period).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from consentgate.catalog import POLITICAL_PURPOSE
from consentgate.ledger import Leaf

__all__ = [
    "MIN_CELL_SIZE",
    "UNKNOWN_COUNTRY",
    "Published",
    "Reach",
    "count_reach",
    "publish",
]

MIN_CELL_SIZE = 10
# ISO 3166-1 leaves ZZ to its users; by convention it stands for "unknown or unspecified"
UNKNOWN_COUNTRY = "ZZ"
DISCLOSURE = "disclosure"


@dataclass(frozen=True)
class Reach:
    """An app's exact political reach, from its leaves: ``people`` distinct, per country
    (``by_country``), and every field the leaves say it received (``fields``)."""

    people: int = 0
    by_country: Mapping[str, int] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Published:
    """What the register shows of a ``Reach``: counts, or None where suppressed."""

    people: int | None
    countries: dict[str, int | None]


def count_reach(leaves: Iterable[bytes], *, purpose: str = POLITICAL_PURPOSE) -> dict[str, Reach]:
    """Per app id, the reach of its ``purpose`` disclosures among ``leaves`` (leaf bytes, v1
    or v2). A leaf that does not decode raises ``ValueError``."""
    people: dict[str, set[str]] = {}
    by_country: dict[str, dict[str, set[str]]] = {}
    fields: dict[str, set[str]] = {}
    for data in leaves:
        leaf = Leaf.decode(data)
        if leaf.kind != DISCLOSURE or leaf.purpose != purpose:
            continue
        people.setdefault(leaf.app, set()).add(leaf.subj)
        country = leaf.cc or UNKNOWN_COUNTRY
        by_country.setdefault(leaf.app, {}).setdefault(country, set()).add(leaf.subj)
        fields.setdefault(leaf.app, set()).update(leaf.fields)
    return {
        app: Reach(
            people=len(who),
            by_country={cc: len(s) for cc, s in sorted(by_country[app].items())},
            fields=frozenset(fields[app]),
        )
        for app, who in sorted(people.items())
    }


def publish(reach: Reach | None, *, min_cell_size: int = MIN_CELL_SIZE) -> Published:
    """The published form of ``reach`` (None: the app reached nobody), under primary and
    complementary suppression (module docstring)."""
    if reach is None:
        reach = Reach()
    hidden = {cc for cc, n in reach.by_country.items() if n < min_cell_size}
    people: int | None = reach.people if reach.people >= min_cell_size else None
    if people is not None:
        shown = sorted(
            (n, cc) for cc, n in reach.by_country.items() if cc not in hidden
        )  # smallest first, then by code
        while shown and 0 < sum(reach.by_country[cc] for cc in hidden) < min_cell_size:
            _, cc = shown.pop(0)
            hidden.add(cc)
    countries = {cc: (None if cc in hidden else n) for cc, n in sorted(reach.by_country.items())}
    return Published(people=people, countries=countries)
