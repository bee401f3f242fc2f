"""A Standard Webhooks receiver for tests and integrators' trials: an HTTP server on a
loopback port that verifies every delivery's signature with the ``standardwebhooks``
library (as any receiver would) and keeps what it received.

``WebhookReceiver(secret)`` as a context manager: ``url`` to register, ``received`` the
verified bodies (JSON) in arrival order, ``rejected`` how many failed verification;
``status`` is what it answers (set 500 to make deliveries fail and be retried).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook

__all__ = ["WebhookReceiver"]


class WebhookReceiver:
    def __init__(self, secret: str | None = None, *, status: int = 204) -> None:
        self.secret = secret
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.rejected = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver._take(body, dict(self.headers.items()))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notices"

    def _take(self, body: bytes, headers: dict[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            if self.secret is None:
                self.rejected += 1
                return
            try:
                Webhook(self.secret).verify(body, lowered)
            except Exception:  # noqa: BLE001 — any verification failure counts
                self.rejected += 1
                return
            if self.status < 300:
                self.received.append(json.loads(body))
                self.ids.append(lowered.get("webhook-id", ""))

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
