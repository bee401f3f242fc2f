"""The group-commit recorder (I2 at its source): a request's ``record`` returns only once its
rows are durable leaves; a failed commit fails every request of the batch and writes none;
waiters on several event loops, cancelled waiters and shutdown all end cleanly."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from consentgate.errors import LedgerUnavailable
from consentgate.gateway.recorder import DisclosureRecorder, DisclosureRow
from consentgate.ledger.leaves import Leaf
from consentgate.ledger.note import NoteSigner
from consentgate.ledger.store import SqlLedger
from consentgate.storage import Database, make_engine, migrate
from consentgate.storage.tables import ledger_leaves

_requests = itertools.count()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('recorder') / 'r.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _ledger(engine: Engine) -> SqlLedger:
    signer = NoteSigner("recorder.test/consentgate/ledger/v1", Ed25519PrivateKey.generate())
    return SqlLedger(Database(engine), signer)


def _rows(count: int) -> list[DisclosureRow]:
    request = f"req_{next(_requests)}"
    return [
        DisclosureRow(
            at_us=1_795_000_000_000_000,
            app_id="app_rec",
            subject_id=f"s{i % 7}",
            fields=("name",),
            purpose="academic_research",
            consent_ids=("cns_1",),
            request_id=request,
        )
        for i in range(count)
    ]


def _recorded(engine: Engine, request_id: str) -> int:
    with engine.connect() as connection:
        leaves = connection.execute(select(ledger_leaves.c.data)).scalars()
        return sum(1 for data in leaves if Leaf.decode(bytes(data)).req == request_id)


def _leaf_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ledger_leaves)).scalar_one())


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=40),
    max_batch=st.integers(1, 64),
    wait_ms=st.sampled_from([0.0, 1.0, 5.0]),
)
def test_record_returns_only_once_its_rows_are_leaves(
    engine: Engine, sizes: list[int], max_batch: int, wait_ms: float
) -> None:
    recorder = DisclosureRecorder(
        ledger=_ledger(engine), max_batch=max_batch, wait_ms=wait_ms
    ).start()
    before = _leaf_count(engine)
    seen: list[tuple[int, int]] = []

    async def request(rows: list[DisclosureRow]) -> None:
        await recorder.record(rows)
        seen.append((len(rows), _recorded(engine, rows[0].request_id)))  # already durable

    async def load() -> None:
        await asyncio.gather(*(request(_rows(size)) for size in sizes))

    try:
        asyncio.run(load())
    finally:
        recorder.close()
    assert sorted(seen) == sorted((size, size) for size in sizes)
    assert _leaf_count(engine) == before + sum(sizes)
    # requests share commits, and a commit takes no more than max_batch rows unless one
    # request alone brings more
    assert recorder.batches <= len(sizes)
    assert recorder.batches >= sum(sizes) // (max_batch + 12)


def test_a_failed_commit_fails_every_request_of_it_and_writes_nothing(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    migrate(engine)
    with engine.begin() as connection:  # a real storage failure: the table is gone
        connection.exec_driver_sql("DROP TABLE ledger_leaves")
    recorder = DisclosureRecorder(ledger=_ledger(engine), wait_ms=5.0).start()

    async def load() -> list[BaseException | None]:
        results = await asyncio.gather(
            *(recorder.record(_rows(3)) for _ in range(20)), return_exceptions=True
        )
        return list(results)

    try:
        outcomes = asyncio.run(load())
    finally:
        recorder.close()
        engine.dispose()
    assert len(outcomes) == 20
    assert all(isinstance(outcome, LedgerUnavailable) for outcome in outcomes)
    assert recorder.batches == 0


def test_waiters_on_several_event_loops_are_all_released(engine: Engine) -> None:
    recorder = DisclosureRecorder(ledger=_ledger(engine), wait_ms=5.0).start()
    done: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        async def load() -> None:
            await asyncio.gather(*(recorder.record(_rows(2)) for _ in range(15)))

        try:
            asyncio.run(load())
            done.append(15)
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    recorder.close()
    assert errors == []
    assert done == [15] * 4


def test_a_cancelled_waiter_leaves_the_others_released(engine: Engine) -> None:
    recorder = DisclosureRecorder(ledger=_ledger(engine), wait_ms=20.0).start()

    async def load() -> tuple[bool, int]:
        leaving = asyncio.ensure_future(recorder.record(_rows(1)))
        staying = [recorder.record(_rows(1)) for _ in range(5)]
        await asyncio.sleep(0)
        leaving.cancel()  # a client that went away while its batch was gathering
        await asyncio.gather(*staying)
        return leaving.cancelled(), len(staying)

    try:
        cancelled, released = asyncio.run(load())
    finally:
        recorder.close()
    assert cancelled
    assert released == 5


def test_a_closed_recorder_refuses(engine: Engine) -> None:
    recorder = DisclosureRecorder(ledger=_ledger(engine)).start()
    recorder.close()

    async def late() -> None:
        await recorder.record(_rows(1))

    with pytest.raises(LedgerUnavailable):
        asyncio.run(late())


def test_a_request_queued_as_the_writer_stops_is_failed_not_stranded(engine: Engine) -> None:
    recorder = DisclosureRecorder(ledger=_ledger(engine)).start()

    async def race() -> None:
        recorder._queue.put(None)  # the writer stops, as it does when closing ...
        recorder._thread.join(timeout=10)
        waiting = asyncio.ensure_future(recorder.record(_rows(1)))  # ... as this one queues
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, recorder.close)
        with pytest.raises(LedgerUnavailable):
            await asyncio.wait_for(waiting, timeout=10)

    asyncio.run(race())
