"""The register's rule, shared by the server and every recount: distinct people per app and
per country from leaves, and what may be published of them — no shown count below the
minimum cell size, and no hidden count recoverable as the total minus the shown ones."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.catalog import POLITICAL_PURPOSE
from consentgate.ledger.leaves import Leaf, pseudonym
from consentgate.transparency import MIN_CELL_SIZE, Published, Reach, count_reach, publish


def leaf(
    app: str,
    person: str,
    cc: str,
    *,
    purpose: str = POLITICAL_PURPOSE,
    kind: str = "disclosure",
    fields: tuple[str, ...] = ("name",),
) -> bytes:
    return Leaf(
        1, app, pseudonym(b"k" * 32, person), -1, fields, purpose, "b", "", "req_x", "n", kind, cc
    ).encode()


def test_people_are_counted_once_per_app_and_in_each_country_they_were_reached_from() -> None:
    leaves = [
        leaf("app_a", "1", "DE"),
        leaf("app_a", "1", "DE", fields=("current_city",)),  # again: still one person
        leaf("app_a", "2", "DE"),
        leaf("app_a", "2", "FR"),  # moved: counted in both countries, once in the total
        leaf("app_a", "3", ""),  # country unknown
        leaf("app_a", "4", "IT", purpose="analytics"),  # not political
        leaf("app_a", "5", "IT", kind="erasure"),  # not a disclosure
        leaf("app_b", "1", "DE"),
    ]
    v1 = rfc8785.dumps(
        {"v": 1, "type": "disclosure", "ts": 1, "app": "app_a",
         "subj": pseudonym(b"k" * 32, "6"), "prev": -1, "fields": ["name"],
         "purpose": POLITICAL_PURPOSE, "basis": "b", "consent": "", "req": "req_x", "nonce": "n"}
    )  # fmt: skip
    counted = count_reach([*leaves, v1])
    assert counted["app_a"] == Reach(
        people=4, by_country={"DE": 2, "FR": 1, "ZZ": 2}, fields=frozenset({"name", "current_city"})
    )
    assert counted["app_b"].people == 1
    assert set(counted) == {"app_a", "app_b"}


def test_small_counts_are_null_and_so_is_what_the_total_would_give_away() -> None:
    assert publish(None) == Published(people=None, countries={})
    assert publish(Reach(9, {"DE": 9})) == Published(None, {"DE": None})
    assert publish(Reach(10, {"DE": 10})) == Published(10, {"DE": 10})
    # AT alone hidden would be 25 - 12 - 10: hide the smallest shown one too (FR, 10)
    assert publish(Reach(25, {"AT": 3, "DE": 12, "FR": 10})) == Published(
        25, {"AT": None, "DE": 12, "FR": None}
    )
    # hidden cells that already add up to 10 or more need no company
    assert publish(Reach(40, {"AT": 5, "MT": 5, "DE": 30})) == Published(
        40, {"AT": None, "DE": 30, "MT": None}
    )
    # a tie: the lower code goes first
    assert publish(Reach(30, {"AT": 2, "DE": 14, "BE": 14})).countries == {
        "AT": None,
        "BE": None,
        "DE": 14,
    }


counts = st.dictionaries(
    st.sampled_from(["AT", "BE", "DE", "FR", "IE", "IT", "MT", "PL", "ZZ"]),
    st.integers(1, 40),
    max_size=9,
)


@settings(max_examples=500, deadline=None)
@given(by_country=counts, movers=st.integers(0, 5))
def test_nothing_shown_is_small_and_nothing_hidden_can_be_recovered(
    by_country: dict[str, int], movers: int
) -> None:
    people = max([*by_country.values(), sum(by_country.values()) - movers, 0])
    shown = publish(Reach(people, by_country))
    assert set(shown.countries) == set(by_country)
    values = [n for n in shown.countries.values() if n is not None]
    assert all(n >= MIN_CELL_SIZE for n in values)
    assert shown.people is None or shown.people >= MIN_CELL_SIZE
    hidden = sum(n for cc, n in by_country.items() if shown.countries[cc] is None)
    if shown.people is not None:
        assert hidden == 0 or hidden >= MIN_CELL_SIZE  # the total minus the shown is no cell
    else:
        assert values == []  # no total: every country is below it as well
