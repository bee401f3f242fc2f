"""The register as the library builds it (memory stores): which apps it lists, which
checkpoint it counts up to (once per period), what it counts, and its CSV form."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from consentgate.apps import approve_app, register_app, suspend_app
from consentgate.authz import Actor, Role
from consentgate.catalog import POLITICAL_PURPOSE, default_catalog
from consentgate.clock import to_micros
from consentgate.ledger import Entry
from consentgate.ledger.merkle import EMPTY_ROOT
from consentgate.stores import MemoryStores
from consentgate.transparency import CheckpointRef, PoliticalRegister, register_csv
from consentgate.transparency.export import CSV_COLUMNS

CATALOG = default_catalog()
OPERATOR = Actor.operator("op_tests", Role.ADMIN)
DAY = datetime(2019, 4, 15, tzinfo=UTC)


def political(stores: MemoryStores, name: str, *, approve: bool = True) -> str:
    app_id = register_app(
        stores.apps,
        CATALOG,
        {
            "name": name,
            "developer": {"name": f"{name} Ltd", "email": "dev@x.example", "country": "IE"},
            "purposes": [POLITICAL_PURPOSE],
            "fields": {"name": "greet", "current_city": "events"},
            "retention_days": 30,
            "privacy_policy_url": "https://x.example/privacy",
            "sponsor": {"name": f"{name} Party", "country": "IE"},
            "funding_statement": "members",
        },
        actor=OPERATOR,
    ).app.id
    if approve:
        approve_app(stores.apps, CATALOG, app_id, fields=["name"], actor=OPERATOR)
    return app_id


def disclose(stores: MemoryStores, app_id: str, people: dict[str, int], *, at: datetime) -> None:
    """``people[country]`` people of that country disclosed to the app for the purpose."""
    entries = [
        Entry(
            subject_id=f"{app_id}-{cc}-{i}",
            app_id=app_id,
            fields=("name",),
            purpose=POLITICAL_PURPOSE,
            basis="consent",
            consent_id="",
            request_id=f"req_{cc}{i}",
            at_us=to_micros(at),
            country=cc,
        )
        for cc, n in people.items()
        for i in range(n)
    ]
    stores.ledger.append(entries)


@pytest.fixture
def stores() -> MemoryStores:
    return MemoryStores()


def test_it_lists_apps_approved_for_politics_with_their_counts(stores: MemoryStores) -> None:
    a = political(stores, "Alpha")
    b = political(stores, "Beta")
    suspend_app(stores.apps, b, reason="harvesting", actor=OPERATOR)
    political(stores, "Pending", approve=False)
    disclose(stores, a, {"DE": 12, "FR": 3, "": 11}, at=DAY)
    disclose(stores, b, {"IT": 4}, at=DAY)
    checkpoint = stores.ledger.integrate(now=DAY)
    register = PoliticalRegister(stores, period_seconds=0)
    page = register.page()
    assert page.checkpoint == CheckpointRef(checkpoint.size, checkpoint.root)
    assert page.min_cell_size == 10
    entries = {e.name: e for e in page.entries}
    assert set(entries) == {"Alpha", "Beta"}  # approved, and suspended since
    alpha = entries["Alpha"].as_dict()
    assert alpha == {
        "app_id": a,
        "name": "Alpha",
        "developer": {"name": "Alpha Ltd", "country": "IE"},
        "sponsor": {"name": "Alpha Party", "country": "IE"},
        "purposes": [POLITICAL_PURPOSE],
        "fields": ["name"],
        # FR (3) alone would be 26 - 12 - 11: the smallest shown (ZZ, unknown) goes with it
        "countries": {"DE": 12, "FR": None, "ZZ": None},
        "people": 26,
    }
    assert entries["Beta"].people is None
    assert entries["Beta"].countries == {"IT": None}


def test_leaves_after_the_checkpoint_wait_for_the_next(stores: MemoryStores) -> None:
    a = political(stores, "Alpha")
    register = PoliticalRegister(stores, period_seconds=0)
    assert register.page().checkpoint == CheckpointRef(0, EMPTY_ROOT)  # nothing signed yet
    disclose(stores, a, {"DE": 10}, at=DAY)
    stores.ledger.integrate(now=DAY)
    disclose(stores, a, {"FR": 10}, at=DAY)
    assert register.page().entries[0].countries == {"DE": 10}
    stores.ledger.integrate(now=DAY)
    assert register.page().entries[0].countries == {"DE": 10, "FR": 10}


def test_the_checkpoint_moves_on_once_per_period(stores: MemoryStores) -> None:
    a = political(stores, "Alpha")
    disclose(stores, a, {"DE": 10}, at=DAY)
    yesterday = stores.ledger.integrate(now=DAY - timedelta(hours=1))
    disclose(stores, a, {"FR": 10}, at=DAY)
    stores.ledger.integrate(now=DAY + timedelta(hours=1))
    daily = PoliticalRegister(stores, period_seconds=86_400)
    at_noon = daily.page(now=DAY + timedelta(hours=12))
    assert at_noon.checkpoint.size == yesterday.size  # signed before today began
    assert at_noon.entries[0].countries == {"DE": 10}
    tomorrow = daily.page(now=DAY + timedelta(days=1, hours=1))
    assert tomorrow.entries[0].countries == {"DE": 10, "FR": 10}
    with pytest.raises(ValueError, match="period"):
        PoliticalRegister(stores, period_seconds=-1)


def test_pages_follow_the_checkpoint_they_started_at(stores: MemoryStores) -> None:
    ids = sorted(political(stores, f"App {i}") for i in range(3))
    disclose(stores, ids[0], {"DE": 10}, at=DAY)
    stores.ledger.integrate(now=DAY)
    register = PoliticalRegister(stores, period_seconds=0)
    first = register.page(limit=2)
    assert [e.app_id for e in first.entries] == ids[:2]
    assert first.more
    disclose(stores, ids[2], {"DE": 10}, at=DAY)
    stores.ledger.integrate(now=DAY)
    again = register.checkpoint_of(first.checkpoint.size)
    second = register.page(checkpoint=again, after=ids[1], limit=2)
    assert second.checkpoint == first.checkpoint
    assert [e.app_id for e in second.entries] == ids[2:]
    assert second.entries[0].people is None  # its leaves came after that checkpoint
    assert not second.more


def test_the_csv_has_a_row_per_app_and_country(stores: MemoryStores) -> None:
    a = political(stores, "=HYPERLINK(evil)")
    disclose(stores, a, {"DE": 12, "FR": 11, "AT": 1}, at=DAY)
    stores.ledger.integrate(now=DAY)
    page = PoliticalRegister(stores, period_seconds=0).page()
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(register_csv(page))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["country"], r["people"]) for r in rows] == [
        ("ALL", "24"),
        ("AT", ""),
        ("DE", "12"),
        ("FR", ""),
    ]
    assert {r["name"] for r in rows} == {"'=HYPERLINK(evil)"}  # never run as a formula
    assert {r["checkpoint_root"] for r in rows} == {page.checkpoint.root.hex()}
    assert {r["min_cell_size"] for r in rows} == {"10"}
