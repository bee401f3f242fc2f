"""How the HTTP server treats connections: ``server_config(app, host=, port=, limits=)`` is
the one ``uvicorn.Config`` both ``consentgate serve`` and the test servers run with.

uvicorn gives a connection cap (``limit_concurrency``: a request beyond
``CONSENTGATE_HTTP_MAX_CONNECTIONS`` connections or tasks is answered 503) and the idle
keep-alive timeout, but neither a deadline for a request's head or body nor, with its
httptools parser, a bound on the head's size: a head trickled a byte every two seconds
was still accepted after 40 s, and four 64 MiB headers were buffered and answered 200.
``GuardedHttpTools`` (uvicorn's httptools protocol with three additions) closes a
connection whose head is not complete ``http_head_timeout_seconds`` after it opened or
after its last response, answers 408 and closes one whose body is not complete
``http_body_timeout_seconds`` after its head, and answers 431 and closes one whose head
grows past ``http_max_header_bytes`` (counted as it arrives, before the parser buffers
it, and as it is parsed). The same size bound goes to h11
(``h11_max_incomplete_event_size``) should anyone run the app under it."""

from __future__ import annotations

import asyncio
import math
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from consentgate.settings import LimitSettings

__all__ = ["GuardedHttpTools", "server_config", "server_options"]

LIMITS_ATTRIBUTE = "consentgate_limits"  # where server_config leaves the limits on the config


def _status(code: int, reason: str) -> bytes:
    body = reason.encode()
    return (
        f"HTTP/1.1 {code} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class _HeadTooLarge(Exception):
    """Raised in a parser callback to stop parsing a head over the bound."""


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head deadline, a body deadline and a head size
    bound, read from the ``LimitSettings`` that ``server_config`` puts on the uvicorn config
    (the environment's in a ``--workers`` process, whose config uvicorn builds itself)."""

    _environment: ClassVar[LimitSettings | None] = None

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        limits = getattr(config, LIMITS_ATTRIBUTE, None) or self._from_environment()
        self.head_timeout = limits.http_head_timeout_seconds
        self.body_timeout = limits.http_body_timeout_seconds
        self.max_head_bytes = limits.http_max_header_bytes
        self._in_head = True
        self._head_bytes = 0  # bytes received while in the head (incomplete chunks)
        self._parsed_head = 0  # the head's size as parsed (request line and headers)
        self._too_large = False
        self._deadline: asyncio.TimerHandle | None = None

    @classmethod
    def _from_environment(cls) -> LimitSettings:
        if cls._environment is None:  # once per process, not per connection
            cls._environment = LimitSettings()
        return cls._environment

    # --- deadlines ----------------------------------------------------------------------

    def _arm(self, seconds: float, on_expiry: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, on_expiry)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_expired(self) -> None:
        self._deadline = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()  # nothing was asked yet: nobody to answer

    def _body_expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_started:
            self.transport.write(_status(408, "Request Timeout"))
        self.transport.close()

    # --- the protocol, with the guards --------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.head_timeout, self._head_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # a chunk that did not finish the head counts in full (the parser buffers it), so
        # the parser never holds more than the bound and one chunk
        if self._in_head and self._head_bytes > self.max_head_bytes:
            self._refuse_head()

    def _refuse_head(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_status(431, "Request Header Fields Too Large"))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if self._too_large:  # a callback below refused the head: say why
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._parsed_head = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count_head(self, size: int) -> None:
        """A head that arrived whole in one chunk is bounded here (the parser stops, and
        uvicorn's error path answers with ``send_400_response``: 431)."""
        self._parsed_head += size
        if self._parsed_head > self.max_head_bytes:
            self._too_large = True
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._arm(self.body_timeout, self._body_expired)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._in_head = True
            self._head_bytes = 0
            self._arm(self.head_timeout, self._head_expired)


def server_options(limits: LimitSettings) -> dict[str, Any]:
    """The ``uvicorn.Config`` / ``uvicorn.run`` keywords of ``limits`` (``CONSENTGATE_HTTP_*``):
    the protocol, the connection cap, keep-alive, the h11 head bound, quiet logs."""
    return {
        "http": GuardedHttpTools,
        "limit_concurrency": limits.http_max_connections,
        "timeout_keep_alive": max(1, math.ceil(limits.http_keepalive_timeout_seconds)),
        "h11_max_incomplete_event_size": limits.http_max_header_bytes,
        "log_level": "warning",
        "access_log": False,
    }


def server_config(app: Any, *, host: str, port: int, limits: LimitSettings) -> uvicorn.Config:
    """The server settings consentgate runs with, ``limits`` carried to the protocol."""
    config = uvicorn.Config(app, host=host, port=port, **server_options(limits))
    setattr(config, LIMITS_ATTRIBUTE, limits)
    return config
