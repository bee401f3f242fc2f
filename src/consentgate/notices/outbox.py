"""The notice dispatcher: delivers the outbox (Standard Webhooks: ``webhook-id`` = the
notice id, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>`` signed with
the app's ``notification_secret`` by the ``standardwebhooks`` library), retries with
backoff, and enforces acknowledgement deadlines.

One thread per process (``start()`` / ``close()``, run by the runtime's lifespan); each
round (``run_once()``, also the tests' flush hook) claims due rows atomically
(``NoticeStore.claim``), so several server processes share the work without sending a
notice twice at once; checks just before sending that the notice is still unacknowledged;
records the outcome — a 2xx closes the row, anything else schedules the next attempt after
``retry_base * 4^attempts`` (capped at an hour). A crash leaves the claimed row to be
taken again when its lease ends: a notice is delivered at least once, never lost, and never
sent once acknowledged. Then ``enforce`` is called for each notice unacknowledged past its
``ack_due_at`` (the composition root suspends the app), and ``sweep`` (resuming interrupted
erasures) runs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx
import structlog
from standardwebhooks import Webhook

from consentgate.apps import AppStore
from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.notices.models import Notice, notice_body
from consentgate.notices.store import NoticeStore

__all__ = ["NoticeDispatcher"]

log = structlog.get_logger("consentgate.notices")

MAX_DELAY_S = 3600.0


class NoticeDispatcher:
    def __init__(
        self,
        notices: NoticeStore,
        apps: AppStore,
        *,
        enforce: Callable[[Notice, datetime], None] | None = None,
        sweep: Callable[[], None] | None = None,
        retry_base_s: float = 1.0,
        poll_s: float = 1.0,
        lease_s: float = 60.0,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.notices = notices
        self.apps = apps
        self.worker = "ntw_" + secrets.token_hex(6)
        self._enforce = enforce
        self._sweep = sweep
        self._retry_base_s = retry_base_s
        self._poll_s = poll_s
        self._lease_us = int(lease_s * 1_000_000)
        self._client = httpx.Client(timeout=timeout_s, transport=transport)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._round = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="consentgate-notices", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Run a round now (a request step just wrote notices)."""
        self._wake.set()

    def close(self, *, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=timeout)
            self._thread = None

    def dispose(self) -> None:
        self.close()
        self._client.close()

    def flush(self, *, timeout: float = 10.0) -> None:
        """Run rounds until no delivery is due now (or ``timeout``): the tests' hook."""
        deadline = time.monotonic() + timeout
        self.run_once()
        while self.notices.claimable(now_us=to_micros(utc_now())) and time.monotonic() < deadline:
            self.run_once()

    def run_once(self, now: datetime | None = None) -> int:
        """One round: deliver what is due, enforce deadlines, sweep; how many were
        delivered."""
        with self._round:
            moment = now or utc_now()
            delivered = 0
            for claimed in self.notices.claim(
                worker=self.worker, now_us=to_micros(moment), lease_us=self._lease_us, limit=50
            ):
                delivered += self._deliver(claimed.notice, claimed.attempts)
            if self._enforce is not None:
                for notice in self.notices.overdue(now_us=to_micros(moment)):
                    self._enforce(notice, moment)
            if self._sweep is not None:
                self._sweep()
            return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 — the thread must outlive a bad round
                log.error("notice_round_failed", error=type(exc).__name__)
            self._wake.wait(self._poll_s)
            self._wake.clear()

    def _deliver(self, notice: Notice, attempts: int) -> int:
        target = self.apps.notification_target(notice.app_id)
        current = self.notices.get(notice.id)
        now = utc_now()
        if current is None or current.acknowledged_at is not None:
            return 0  # acknowledged meanwhile: its row is closed, nothing is sent
        if target is None:
            self._failed(notice, attempts, now, "the app has no notification_url")
            return 0
        url, secret = target
        body = notice_body(current)
        headers = {
            "content-type": "application/json",
            "webhook-id": notice.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(notice.id, now, body.decode()),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self._failed(notice, attempts, now, type(exc).__name__)
            return 0
        if not response.is_success:
            self._failed(notice, attempts, now, f"HTTP {response.status_code}")
            return 0
        self.notices.delivered(notice.id, worker=self.worker, at_us=to_micros(utc_now()))
        log.info("notice_delivered", notice_id=notice.id, app_id=notice.app_id)
        return 1

    def _failed(self, notice: Notice, attempts: int, now: datetime, error: str) -> None:
        delay = min(self._retry_base_s * 4**attempts, MAX_DELAY_S)
        next_us = to_micros(now) + int(delay * 1_000_000)
        self.notices.failed(
            notice.id,
            worker=self.worker,
            at_us=to_micros(now),
            next_attempt_us=next_us,
            error=error,
        )
        log.warning(
            "notice_delivery_failed",
            notice_id=notice.id,
            app_id=notice.app_id,
            attempt=attempts + 1,
            error=error,
            next_attempt_at=from_micros(next_us).isoformat(),
        )
