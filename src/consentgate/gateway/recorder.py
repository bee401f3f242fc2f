"""Write-ahead disclosure recording with group commit (I2).

Each batch is written as ledger leaves in one transaction.

Requests hand their disclosure rows to one writer thread and wait. The writer commits
whatever has gathered (up to ``max_batch`` rows; ``wait_ms`` can make it wait for company,
by default it does not) in one transaction — one durable commit shared by concurrent
requests — and then releases them all, with one wake-up of each event loop per batch
(not one per request: waking a loop is a system call, and per request it cost as much as
writing the leaf). A request whose rows could not be committed gets ``LedgerUnavailable``
and releases no data.

Batches form without any deliberate wait: while one commit is being made durable, the next
requests queue up, and the next commit takes them all. Waiting for company on top of that
only added latency (a lone request paid the whole wait) and lowered throughput.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from consentgate.errors import LedgerUnavailable
from consentgate.ledger.leaves import Entry
from consentgate.ledger.protocol import LedgerStore

__all__ = ["DisclosureRecorder", "DisclosureRow", "Recorder"]

log = structlog.get_logger("consentgate.recorder")


@dataclass(frozen=True, slots=True)
class DisclosureRow:
    at_us: int
    app_id: str
    subject_id: str
    fields: tuple[str, ...]
    purpose: str
    consent_ids: tuple[str, ...]
    request_id: str
    basis: str = "consent"
    kind: str = "disclosure"  # or "access": a person's own export (rights/export.py)
    country: str = ""  # the subject's country at decision time (the leaf's ``cc``)

    def as_entry(self) -> Entry:
        return Entry(
            subject_id=self.subject_id,
            app_id=self.app_id,
            fields=self.fields,
            purpose=self.purpose,
            basis=self.basis,
            consent_id=",".join(self.consent_ids),
            request_id=self.request_id,
            at_us=self.at_us,
            kind=self.kind,
            country=self.country,
        )


class Recorder(Protocol):
    """What the gateway records disclosures through (``DisclosureRecorder``, or a test's)."""

    async def record(self, rows: Sequence[DisclosureRow]) -> None:
        """Return once ``rows`` are durably committed; raise ``LedgerUnavailable`` if not."""
        ...


_Item = tuple[Sequence[DisclosureRow], "asyncio.Future[None]"]

_SHUT_DOWN = "the disclosure recorder is not running"
_NOT_RECORDED = "the disclosure could not be recorded, so no data was released: retry later"


class DisclosureRecorder:
    def __init__(
        self,
        *,
        ledger: LedgerStore,
        max_batch: int = 1024,
        wait_ms: float = 0.0,
    ) -> None:
        self._ledger = ledger
        self.appended = threading.Event()  # set after each commit that wrote leaves
        self._max_batch = max_batch
        self._wait_s = wait_ms / 1000.0
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="consentgate-disclosure-writer", daemon=True
        )
        self._started = False
        self._closed = False
        self.batches = 0

    def start(self) -> DisclosureRecorder:
        """Start the writer thread (the ``Runtime`` does, in the app's lifespan)."""
        if not self._started and not self._closed:
            self._started = True
            self._thread.start()
        return self

    async def record(self, rows: Sequence[DisclosureRow]) -> None:
        """Return once ``rows`` are durably committed; raise ``LedgerUnavailable`` if not."""
        if self._closed or not self._started:
            raise LedgerUnavailable(_SHUT_DOWN)
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put((rows, committed))
        await committed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._started:
                return
            self._queue.put(None)
            self._thread.join(timeout=10)
            # a request that slipped in as the writer stopped must not wait for ever
            stranded: list[_Item] = []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    stranded.append(item)
            _release(stranded, _SHUT_DOWN)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            count = len(first[0])
            deadline = time.monotonic() + self._wait_s
            stop = False
            while count < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    item = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
                count += len(item[0])
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Item]) -> None:
        entries = [row.as_entry() for rows, _ in batch for row in rows]
        failure: str | None = None
        try:
            if entries:
                self._ledger.append(entries)  # one transaction, one durable commit
        except Exception as exc:  # noqa: BLE001 — every waiter must learn of the failure
            log.error("disclosure_commit_failed", rows=len(entries), error=type(exc).__name__)
            failure = _NOT_RECORDED
        else:
            self.batches += 1
            if entries:
                self.appended.set()
        _release(batch, failure)


def _release(batch: list[_Item], failure: str | None) -> None:
    """Wake each waiting event loop once for the whole batch (``failure``: why it failed)."""
    waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for _, committed in batch:
        waiting.setdefault(committed.get_loop(), []).append(committed)
    for loop, futures in waiting.items():
        try:
            loop.call_soon_threadsafe(_settle, futures, failure)
        except RuntimeError:  # that loop is closed: nobody is waiting there any more
            continue


def _settle(futures: list[asyncio.Future[None]], failure: str | None) -> None:
    """On the waiters' own loop: release them (a cancelled waiter has left already)."""
    for future in futures:
        if future.done():
            continue
        if failure is None:
            future.set_result(None)
        else:
            future.set_exception(LedgerUnavailable(failure))  # one each: tracebacks differ
