"""Tampering with a stored 2,000-leaf ledger: every single edit is caught by
``consentgate ledger verify --database`` and named at the right place."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from typer.testing import CliRunner

from consentgate.cli import app as cli
from consentgate.ledger.fsck import check_database
from consentgate.ledger.leaves import pseudonym
from consentgate.ledger.note import NoteSigner
from consentgate.ledger.store import Entry, SqlLedger, open_ledger
from consentgate.storage import Database, make_engine, migrate
from consentgate.storage.tables import (
    ledger_checkpoints,
    ledger_leaves,
    ledger_nodes,
    subject_keys,
)

ORIGIN = "localhost/consentgate/ledger/v1"
SIZE = 2000


@pytest.fixture
def built(tmp_path: Path) -> tuple[Engine, SqlLedger, str, str]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    migrate(engine)
    ledger = open_ledger(Database(engine), origin=ORIGIN)
    rng = random.Random(1)
    saved = ""
    for start in range(0, SIZE, 250):
        entries = [
            Entry(
                subject_id=str(rng.randint(1, 300)),
                app_id=f"app_{rng.randint(1, 5)}",
                fields=("name",),
                purpose="analytics",
                basis="consent",
                consent_id=f"cns_{i}",
                request_id=f"req_{i}",
                at_us=1_795_000_000_000_000 + i,
            )
            for i in range(start, start + 250)
        ]
        ledger.append(entries)
        ledger.integrate()
        if start + 250 == 1500:
            saved = ledger.latest_note() or ""
    assert check_database(Database(engine), ledger.verifier).ok
    return engine, ledger, url, saved


def _data(engine: Engine, index: int) -> bytes:
    with engine.connect() as connection:
        row = connection.execute(
            select(ledger_leaves.c.data).where(ledger_leaves.c.idx == index)
        ).scalar_one()
    return bytes(row)


def _set(engine: Engine, index: int, data: bytes) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(ledger_leaves).where(ledger_leaves.c.idx == index).values(data=data)
        )


def _fails_at(
    engine: Engine, ledger: SqlLedger, index: int | None, since: str | None = None
) -> str:
    result = check_database(Database(engine), ledger.verifier, since=since)
    assert not result.ok
    assert result.failed_index == index, result.line()
    return result.line()


def test_one_changed_byte(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, url, _ = built
    data = bytearray(_data(engine, 1234))
    position = data.index(b'"req_') + 5
    data[position] = ord("X")  # still valid JSON: only the hash can tell
    _set(engine, 1234, bytes(data))
    _fails_at(engine, ledger, 1234)
    run = CliRunner().invoke(cli, ["ledger", "verify", "--database", url])
    assert run.exit_code == 3
    assert run.stdout.startswith("FAIL index=1234: ")


def test_a_deleted_row(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    with engine.begin() as connection:
        connection.execute(delete(ledger_leaves).where(ledger_leaves.c.idx == 777))
    _fails_at(engine, ledger, 777)


def test_two_swapped_rows(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    first, second = _data(engine, 100), _data(engine, 200)
    _set(engine, 100, second)
    _set(engine, 200, first)
    _fails_at(engine, ledger, 100)


def test_a_truncated_tail(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    with engine.begin() as connection:
        connection.execute(delete(ledger_leaves).where(ledger_leaves.c.idx >= 1900))
    _fails_at(engine, ledger, 1900)


def test_a_replaced_checkpoint(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    forger = SqlLedger(Database(engine), NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    note = ledger.latest_note()
    assert note is not None
    forged = forger.signer.sign(note.split("\n\n")[0] + "\n")
    with engine.begin() as connection:
        connection.execute(
            update(ledger_checkpoints).where(ledger_checkpoints.c.size == SIZE).values(note=forged)
        )
    assert "checkpoint 2000" in _fails_at(engine, ledger, None)


def test_a_rolled_back_log(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, saved = built
    with engine.begin() as connection:  # a careful rollback: leaves, nodes and checkpoints
        connection.execute(delete(ledger_checkpoints).where(ledger_checkpoints.c.size > 1250))
        connection.execute(delete(ledger_leaves).where(ledger_leaves.c.idx >= 1250))
        for level in range(12):
            span = 1 << level
            connection.execute(
                delete(ledger_nodes).where(
                    ledger_nodes.c.level == level, (ledger_nodes.c.idx + 1) * span > 1250
                )
            )
        _reset_heads(connection, below=1250)  # and the chain heads
    assert check_database(Database(engine), ledger.verifier).ok  # consistent on its own...
    # ...but not with the checkpoint an auditor saved at 1,500 leaves
    assert "rolled back" in _fails_at(engine, ledger, 1250, since=saved)


def _reset_heads(connection: Connection, *, below: int) -> None:
    """Point every chain head at its pseudonym's latest leaf below ``below``."""
    for subject, key in connection.execute(
        select(subject_keys.c.subject_id, subject_keys.c.pseudonym_key)
    ).all():
        latest = connection.execute(
            select(func.max(ledger_leaves.c.idx)).where(
                ledger_leaves.c.pseudonym == pseudonym(bytes(key), subject),
                ledger_leaves.c.idx < below,
            )
        ).scalar_one_or_none()
        connection.execute(
            update(subject_keys).where(subject_keys.c.subject_id == subject).values(head=latest)
        )


def _cli_fails_at(url: str, index: int | None) -> str:
    run = CliRunner().invoke(cli, ["ledger", "verify", "--database", url])
    assert run.exit_code == 3, run.output
    where = "-" if index is None else str(index)
    assert run.stdout.startswith(f"FAIL index={where}: "), run.stdout
    return run.stdout


def test_relabelled_app_ids(built) -> None:  # type: ignore[no-untyped-def]
    """What breach scope reads: 47 leaves moved to another app, the leaves untouched."""
    engine, ledger, url, _ = built
    with engine.begin() as connection:
        connection.execute(
            update(ledger_leaves)
            .where(ledger_leaves.c.idx.between(900, 946))
            .values(app_id="app_elsewhere")
        )
    assert "app_id" in _fails_at(engine, ledger, 900)
    _cli_fails_at(url, 900)


def test_a_moved_time(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    with engine.begin() as connection:
        connection.execute(
            update(ledger_leaves).where(ledger_leaves.c.idx == 321).values(at_us=5_000_000)
        )
    assert "at_us" in _fails_at(engine, ledger, 321)


def test_a_relabelled_pseudonym(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, _, _ = built
    with engine.begin() as connection:
        connection.execute(
            update(ledger_leaves).where(ledger_leaves.c.idx == 55).values(pseudonym="ps1:other")
        )
    assert "pseudonym" in _fails_at(engine, ledger, 55)


def test_a_moved_chain_head(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, url, _ = built
    with engine.begin() as connection:
        subject = connection.execute(
            select(subject_keys.c.subject_id).order_by(subject_keys.c.subject_id).limit(1)
        ).scalar_one()
        connection.execute(
            update(subject_keys).where(subject_keys.c.subject_id == subject).values(head=3)
        )
    assert "chain head" in _fails_at(engine, ledger, _latest_of(engine, subject))
    assert "chain head" in _cli_fails_at(url, _latest_of(engine, subject))


def _latest_of(engine: Engine, subject: str) -> int:
    with engine.connect() as connection:
        key = connection.execute(
            select(subject_keys.c.pseudonym_key).where(subject_keys.c.subject_id == subject)
        ).scalar_one()
        return int(
            connection.execute(
                select(func.max(ledger_leaves.c.idx)).where(
                    ledger_leaves.c.pseudonym == pseudonym(bytes(key), subject)
                )
            ).scalar_one()
        )


def test_a_leaf_stored_as_text(built) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, url, _ = built
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE ledger_leaves SET data = CAST(data AS TEXT) WHERE idx = 42")
        )
    assert "bytes" in _fails_at(engine, ledger, 42)
    _cli_fails_at(url, 42)


@pytest.mark.parametrize(("level", "index"), [(0, 1999), (3, 17), (10, 0)])
def test_a_deleted_tree_node(built, level: int, index: int) -> None:  # type: ignore[no-untyped-def]
    engine, ledger, url, _ = built
    with engine.begin() as connection:
        connection.execute(
            delete(ledger_nodes).where(ledger_nodes.c.level == level, ledger_nodes.c.idx == index)
        )
    assert "missing" in _fails_at(engine, ledger, index << level)
    _cli_fails_at(url, index << level)


@pytest.fixture(scope="module")
def small_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SqlLedger]:
    """A 60-leaf ledger file, copied afresh for each example of the property below."""
    path = tmp_path_factory.mktemp("small") / "small.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    ledger = open_ledger(Database(engine), origin=ORIGIN)
    ledger.append(
        [
            Entry(
                subject_id=str(i % 7),
                app_id=f"app_{i % 3}",
                fields=("name",),
                purpose="analytics",
                basis="consent",
                consent_id=f"cns_{i}",
                request_id=f"req_{i}",
                at_us=1_795_000_000_000_000 + i * 1000,
            )
            for i in range(60)
        ]
    )
    ledger.integrate()
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, ledger


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(min_value=0, max_value=59),
    column=st.sampled_from(["app_id", "at_us", "pseudonym"]),
    shift=st.integers(min_value=1, max_value=10**9),
)
def test_any_change_to_a_derived_column_fails_verification(
    small_ledger: tuple[Path, SqlLedger], tmp_path: Path, index: int, column: str, shift: int
) -> None:
    template, ledger = small_ledger
    copy = tmp_path / f"copy-{index}-{column}-{shift}.db"
    shutil.copyfile(template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    try:
        with engine.begin() as connection:
            stored = connection.execute(
                select(ledger_leaves.c[column]).where(ledger_leaves.c.idx == index)
            ).scalar_one()
            changed = stored + shift * 1000 if column == "at_us" else f"{stored}x{shift}"
            connection.execute(
                update(ledger_leaves).where(ledger_leaves.c.idx == index).values({column: changed})
            )
        result = check_database(Database(engine), ledger.verifier)
        assert not result.ok
        assert result.failed_index == index, result.line()
    finally:
        engine.dispose()
        copy.unlink()
