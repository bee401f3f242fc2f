"""Leaf format v2 in a stored ledger, on SQLite, PostgreSQL and in memory: each disclosure
carries the subject's country (``cc``), a ledger holding v1 leaves written before v2 and v2
leaves after still passes fsck and verifies, and the questions the transparency register
asks (an app's leaves below a size, the checkpoint signed before a time or of a size) get
the same answers from every ledger."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, update

from consentgate.clock import to_micros
from consentgate.ledger import Entry, Leaf, LedgerStore, MemoryLedger, SqlLedger, daily_disclosures
from consentgate.ledger.fsck import check_database
from consentgate.ledger.merkle import MemoryTree
from consentgate.ledger.note import NoteSigner
from consentgate.storage import Database
from consentgate.storage.tables import ledger_leaves

ORIGIN = "localhost/consentgate/ledger/v1"
T0 = datetime(2019, 4, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cc') / 'l.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")
    database = Database.open(url)
    with database.begin() as connection:
        for table in ("ledger_checkpoints", "ledger_nodes", "ledger_leaves", "subject_keys"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    try:
        yield database
    finally:
        database.dispose()


def _entry(subject: str, app: str, country: str, i: int, purpose: str = "analytics") -> Entry:
    return Entry(
        subject_id=subject,
        app_id=app,
        fields=("name",),
        purpose=purpose,
        basis="consent",
        consent_id=f"cns_{i}",
        request_id=f"req_{i}",
        at_us=to_micros(T0) + i,
        country=country,
    )


def _v1_leaf(index_subject: str) -> bytes:
    return rfc8785.dumps(
        {"v": 1, "type": "disclosure", "ts": 1554076800000, "app": "app_old",
         "subj": f"ps1:{index_subject}", "prev": -1, "fields": ["name"],
         "purpose": "analytics", "basis": "consent", "consent": "cns_old", "req": "req_old",
         "nonce": "n0"}
    )  # fmt: skip


def test_a_ledger_of_v1_and_v2_leaves_passes_fsck_and_keeps_the_countries(db: Database) -> None:
    ledger = SqlLedger(db, NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    ledger.append([_entry("1", "app_a", "DE", 0), _entry("2", "app_a", "fr", 1)])
    old = _v1_leaf("oldperson")
    with db.begin() as connection:  # a leaf written before format 2
        connection.execute(
            insert(ledger_leaves),
            [
                {
                    "idx": 2,
                    "data": old,
                    "pseudonym": "ps1:oldperson",
                    "app_id": "app_old",
                    "at_us": to_micros(T0),
                }
            ],
        )
    ledger.append([_entry("1", "app_b", "", 3), _entry("3", "app_b", "Germany", 4)])
    checkpoint = ledger.integrate()
    assert checkpoint.size == 5
    result = check_database(db, ledger.verifier)
    assert result.ok, result.line()
    leaves = [Leaf.decode(data) for _, data in ledger.leaves(0, 5)]
    assert [(leaf.version, leaf.cc) for leaf in leaves] == [
        (2, "DE"),
        (2, "FR"),  # a lower-case code is written as ISO has it
        (1, ""),
        (2, ""),  # unknown
        (2, ""),  # not an ISO code: unknown rather than guessed
    ]
    assert MemoryTree.from_leaves([d for _, d in ledger.leaves(0, 5)]).root() == checkpoint.root


def test_fsck_names_a_v2_leaf_whose_country_was_edited(db: Database) -> None:
    ledger = SqlLedger(db, NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    ledger.append([_entry(str(i), "app_a", "DE", i) for i in range(4)])
    ledger.integrate()
    data = ledger.leaves(2, 3)[0][1]
    with db.begin() as connection:
        connection.execute(
            update(ledger_leaves)
            .where(ledger_leaves.c.idx == 2)
            .values(data=data.replace(b'"cc":"DE"', b'"cc":"FR"'))
        )
    result = check_database(db, ledger.verifier)
    assert (result.ok, result.failed_index) == (False, 2)


def _ledgers(db: Database) -> list[LedgerStore]:
    key = Ed25519PrivateKey.generate()
    return [SqlLedger(db, NoteSigner(ORIGIN, key)), MemoryLedger(NoteSigner(ORIGIN, key))]


def test_the_registers_questions_have_the_same_answers_everywhere(db: Database) -> None:
    for ledger in _ledgers(db):
        assert ledger.checkpoint_before(to_micros(T0)) is None
        ledger.append([_entry("1", "app_a", "DE", 0), _entry("2", "app_b", "FR", 1)])
        first = ledger.integrate(now=T0)
        ledger.append([_entry("3", "app_a", "IT", 2), _entry("4", "app_c", "ES", 3)])
        second = ledger.integrate(now=T0.replace(day=2))
        assert ledger.checkpoint_before(to_micros(T0) - 1) is None
        assert ledger.checkpoint_before(to_micros(T0)) == first
        assert ledger.checkpoint_before(to_micros(T0.replace(day=3))) == second
        assert ledger.checkpoint_of(2) == first
        assert ledger.checkpoint_of(4) == second
        assert ledger.checkpoint_of(3) is None
        assert [i for i, _ in ledger.app_leaves(["app_a"], end=4)] == [0, 2]
        assert [i for i, _ in ledger.app_leaves(["app_a"], end=2)] == [0]
        assert [i for i, _ in ledger.app_leaves(["app_a", "app_c"], end=4)] == [0, 2, 3]
        assert ledger.app_leaves([], end=4) == []
        assert ledger.app_leaves(["app_z"], end=4) == []


def test_the_consoles_questions_have_the_same_answers_everywhere(db: Database) -> None:
    """When the latest checkpoint was signed, and disclosures per app per day."""
    for ledger in _ledgers(db):
        assert ledger.checkpoint_signed_at() is None
        day = 24 * 3600 * 1_000_000
        entries = [_entry("1", "app_a", "DE", 0), _entry("2", "app_b", "FR", 1)]
        entries.append(
            dataclasses.replace(_entry("3", "app_a", "IT", 2), at_us=to_micros(T0) + day)
        )
        ledger.append(entries)
        ledger.integrate(now=T0)
        assert ledger.checkpoint_signed_at() == T0
        ledger.integrate(now=T0 + timedelta(hours=1))  # nothing new: no new checkpoint
        assert ledger.checkpoint_signed_at() == T0
        ledger.append([_entry("4", "app_b", "FR", 3)])
        ledger.integrate(now=T0 + timedelta(hours=2))
        assert ledger.checkpoint_signed_at() == T0 + timedelta(hours=2)
        counts = daily_disclosures(row.data for row in ledger.rows(0))
        first, second = T0.date(), (T0 + timedelta(days=1)).date()
        assert counts == {"app_a": {first: 1, second: 1}, "app_b": {first: 2}}
