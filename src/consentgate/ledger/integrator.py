"""The integrator: after leaves are appended it waits one period for more, then extends the
tree and signs a checkpoint — so a disclosure is covered by a published checkpoint within
about one period (default 0.5 s) plus the integration itself.

``start()`` / ``close()`` run its thread (the composition root's ``Runtime`` calls them);
``flush()`` integrates now, in the caller's thread, and returns the checkpoint (what tests
and one-shot commands wait on instead of sleeping). One integration runs at a time.
"""

from __future__ import annotations

import threading
import time

import structlog

from consentgate.ledger.checkpoint import Checkpoint
from consentgate.ledger.protocol import LedgerStore

__all__ = ["Integrator"]

log = structlog.get_logger("consentgate.ledger")


class Integrator:
    def __init__(self, ledger: LedgerStore, appended: threading.Event, *, period_ms: int) -> None:
        self._ledger = ledger
        self._appended = appended
        self._period = period_ms / 1000.0
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one integration at a time, thread or flush
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="consentgate-ledger-integrator", daemon=True
        )
        self._thread.start()

    def flush(self) -> Checkpoint:
        """Integrate every leaf appended so far and return the signed checkpoint."""
        with self._lock:
            return self._ledger.integrate()

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._appended.set()
        self._thread.join(timeout=10)
        self._thread = None
        self._integrate()  # sign what the last requests appended

    def _run(self) -> None:
        self._integrate()  # the empty log publishes size 0; a restart re-signs nothing new
        while not self._stop.is_set():
            if not self._appended.wait(timeout=1.0):
                continue
            time.sleep(self._period)
            self._appended.clear()
            self._integrate()

    def _integrate(self) -> None:
        try:
            checkpoint = self.flush()
        except Exception as exc:  # noqa: BLE001 — keep integrating; the next round retries
            log.error("ledger_integration_failed", error=type(exc).__name__)
            return
        log.debug("ledger_checkpoint", size=checkpoint.size)
