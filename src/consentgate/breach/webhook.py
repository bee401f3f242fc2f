"""Operator notification by signed webhook (Standard Webhooks: ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``id.timestamp.body``, signed with the ``standardwebhooks`` library, so any receiver with
that library or the spec verifies it).

Deliveries run on one background thread (``start()`` / ``close()``, run by the ``Runtime``)
so containment never waits on the network; each is
retried with backoff (1 s, 4 s, 16 s) and given up with a log line naming the incident.
Bodies carry ids, rule names and numbers only — no personal data.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
import structlog
from standardwebhooks import Webhook

from consentgate.clock import utc_now

__all__ = ["WebhookNotifier"]

log = structlog.get_logger("consentgate.webhook")

RETRY_DELAYS = (1.0, 4.0, 16.0)


class WebhookNotifier:
    def __init__(self, url: str, secret: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self._signer = Webhook(secret)
        self._timeout = timeout
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread (events queued before are delivered then)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="consentgate-webhook", daemon=True
            )
            self._thread.start()

    def notify(self, event_type: str, data: Mapping[str, Any]) -> str:
        """Queue an event; returns its webhook id."""
        message_id = "msg_" + secrets.token_urlsafe(12)
        body = json.dumps(
            {"type": event_type, "timestamp": utc_now().isoformat(), "data": dict(data)},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        self._queue.put((message_id, body))
        return message_id

    def close(self, *, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=timeout)
        self._thread = None

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                self._deliver(client, *item)

    def _deliver(self, client: httpx.Client, message_id: str, body: bytes) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
            if delay:
                time.sleep(delay)
            timestamp = utc_now()
            headers = {
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(timestamp.timestamp())),
                "webhook-signature": self._signer.sign(message_id, timestamp, body.decode()),
            }
            try:
                response = client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                log.warning(
                    "webhook_failed",
                    webhook_id=message_id,
                    attempt=attempt + 1,
                    error=type(exc).__name__,
                )
                continue
            if response.is_success:
                log.info("webhook_delivered", webhook_id=message_id, status=response.status_code)
                return
            log.warning(
                "webhook_failed",
                webhook_id=message_id,
                attempt=attempt + 1,
                status=response.status_code,
            )
        log.error("webhook_given_up", webhook_id=message_id)
