"""Structured logs (structlog): JSON lines when not on a terminal, readable console lines on
one. Callers log ids, field names, statuses and timings — never personal-data values.

Rendering happens in the caller, but writing does not: records go through a queue to one
background thread (stdlib ``QueueHandler``/``QueueListener``), so a request never waits on a
write to stderr. (Measured under wrk at 64 connections: 287 → 389 reads/s in one pair of
runs, but repeated runs on this shared machine vary by ±20 %, so treat it as a hint.)
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

import structlog

__all__ = ["configure_logging"]

_listener: logging.handlers.QueueListener | None = None


def configure_logging(*, json: bool | None = None, level: int = logging.INFO) -> None:
    global _listener
    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    if _listener is not None:
        _listener.stop()
    else:
        atexit.register(_stop)  # once: the listener of the latest configuration
    output = logging.StreamHandler(sys.stderr)
    output.setFormatter(logging.Formatter("%(message)s"))
    _listener = logging.handlers.QueueListener(records, output)
    _listener.start()
    root = logging.getLogger("consentgate")
    root.handlers = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)
    root.propagate = False
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def _stop() -> None:
    if _listener is not None and _listener._thread is not None:
        _listener.stop()
