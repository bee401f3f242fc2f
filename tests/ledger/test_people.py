"""What the ledger answers about people, on SQLite, PostgreSQL and the memory twin alike:
a person's disclosures with proofs (``proof`` None past the checkpoint) and chain head,
their recipients, an app's scope in a window (a shredded person counted, never listed) —
each on one connection, whatever the number of leaves."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, event

from consentgate.ledger import LedgerStore, MemoryLedger, SqlLedger
from consentgate.ledger.leaves import Entry
from consentgate.ledger.merkle import leaf_hash, verify_inclusion
from consentgate.ledger.note import NoteSigner
from consentgate.storage import Database
from consentgate.storage.tables import ledger_checkpoints, ledger_leaves, ledger_nodes, subject_keys

ORIGIN = "people.test/consentgate/ledger/v1"
T0 = 1_795_000_000_000_000  # microseconds


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LedgerStore]:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    if request.param == "memory":
        yield MemoryLedger(signer)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('people') / 'l.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database.open(url)
    _empty(db.engine)
    try:
        yield SqlLedger(db, signer)
    finally:
        db.dispose()


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (ledger_checkpoints, ledger_nodes, ledger_leaves, subject_keys):
            connection.execute(delete(table))


def _entry(i: int, subject: str, app: str, fields: tuple[str, ...], purpose: str) -> Entry:
    return Entry(
        subject_id=subject,
        app_id=app,
        fields=fields,
        purpose=purpose,
        basis="consent",
        consent_id=f"cns_{i}",
        request_id=f"req_{i}",
        at_us=T0 + i * 1_000_000,
    )


def _history(ledger: LedgerStore) -> None:
    """30 leaves, integrated, then 4 more not yet covered by a checkpoint."""
    rng = random.Random(3)
    entries = [
        _entry(
            i,
            rng.choice(["alice", "bob", "carol"]),
            rng.choice(["app_quiz", "app_maps"]),
            rng.choice([("name",), ("name", "birthday")]),
            rng.choice(["analytics", "academic_research"]),
        )
        for i in range(30)
    ]
    ledger.append(entries)
    ledger.integrate()
    ledger.append(
        [_entry(30 + i, "alice", "app_quiz", ("page_likes",), "analytics") for i in range(4)]
    )


def test_disclosures_of_a_person_with_proofs_and_their_chain_head(ledger: LedgerStore) -> None:
    _history(ledger)
    found = ledger.disclosures_of("alice")
    assert found.checkpoint == ledger.latest_note()
    checkpoint = ledger.checkpoint()
    assert checkpoint is not None
    mine = ledger.subject_pseudonym("alice")
    every = [i for i, data in ledger.leaves(0, 100) if f'"subj":"{mine}"'.encode() in data]
    assert [d.index for d in found.items] == every
    assert found.chain_head == every[-1]
    for item in found.items:
        assert item.leaf.subj == mine
        if item.index >= checkpoint.size:
            assert item.proof is None  # listed, never left out
            continue
        assert item.proof is not None
        assert item.proof.size == checkpoint.size
        verify_inclusion(
            item.index, checkpoint.size, leaf_hash(item.data), item.proof.hashes, checkpoint.root
        )
    assert [d.index for d in found.items if d.proof is None] == every[-4:]
    page = ledger.disclosures_of("alice", after=every[1], limit=2)
    assert [d.index for d in page.items] == every[2:4]
    nobody = ledger.disclosures_of("nobody")
    assert (nobody.items, nobody.chain_head) == ((), None)


def test_recipients_of_a_person(ledger: LedgerStore) -> None:
    _history(ledger)
    mine = {i for i, d in ledger.leaves(0, 100) if ledger.subject_pseudonym("alice").encode() in d}  # type: ignore[union-attr]
    recipients = {r.app_id: r for r in ledger.recipients_of("alice")}
    assert set(recipients) <= {"app_quiz", "app_maps"}
    assert sum(r.disclosures for r in recipients.values()) == len(mine)
    quiz = recipients["app_quiz"]
    assert "page_likes" in quiz.fields
    assert quiz.purposes
    assert quiz.first_at <= quiz.last_at
    assert ledger.recipients_of("nobody") == []


def test_scope_of_an_app_in_a_window_counts_shredded_people_without_naming_them(
    ledger: LedgerStore,
) -> None:
    _history(ledger)
    start, end = T0 + 5_000_000, T0 + 32_000_000  # leaves 5..31
    before = ledger.scope("app_quiz", start, end)
    leaves = [d for i, d in ledger.leaves(5, 32) if b'"app":"app_quiz"' in d]
    assert before.records == len(leaves)
    assert set(before.subject_ids) <= {"alice", "bob", "carol"}
    assert before.people == len(before.subject_ids)
    assert before.unlinked == 0
    assert before.by_field["page_likes"] == 1  # alice's uncovered leaves count too
    assert ledger.shred("alice")
    after = ledger.scope("app_quiz", start, end)
    assert "alice" not in after.subject_ids
    assert after.people == before.people
    assert after.unlinked == 1
    assert after.records == before.records
    empty = ledger.scope("app_quiz", T0 + 10**12, T0 + 10**12 + 1)
    assert (empty.records, empty.people, empty.subject_ids) == (0, 0, ())


def test_each_question_is_one_connection_whatever_the_leaves(engine: Engine) -> None:
    ledger = SqlLedger(Database(engine), NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    _empty(engine)
    checkouts: list[int] = []
    statements: list[str] = []

    def count(small: int) -> tuple[int, int]:
        ledger.append([_entry(i, "dora", "app_quiz", ("name",), "analytics") for i in range(small)])
        ledger.integrate()
        checkouts.clear()
        statements.clear()
        ledger.disclosures_of("dora")
        ledger.recipients_of("dora")
        ledger.scope("app_quiz", T0, T0 + 10**12)
        return len(checkouts), len(statements)

    def checkout(*_: object) -> None:
        checkouts.append(1)

    def execute(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", execute)
    try:
        few = count(3)
        many = count(60)
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine, "before_cursor_execute", execute)
    assert few[0] == many[0] == 3  # one connection per question
    assert few[1] == many[1]  # the same statements for 3 leaves as for 63
