"""Rate limits (core): the ``RateLimiter`` protocol the gateway's read path calls once per
read (``CONSENTGATE_RATE_LIMIT_APP``), and ``TokenBucket``, its in-process implementation,
also used by ``/oauth/token`` to count failed client authentications per client and per
source address.

A bucket per key holds up to ``burst`` tokens and gains ``rate`` per second; a call takes
one. ``acquire`` answers 0 when the call may go ahead, else the seconds until a token will
be there (what ``Retry-After`` says). ``wait`` tells the same without taking one. Keys are
bounded (``max_keys``; the least recently used bucket is forgotten, which can only be
generous), so keys an attacker makes up (unknown client ids) cannot grow the memory.
A limiter shared by several server processes implements the same protocol."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["RateLimiter", "TokenBucket", "Unlimited"]


class RateLimiter(Protocol):
    def acquire(self, key: str) -> float:
        """Take one token for ``key``: 0.0 if there was one, else the seconds to wait."""
        ...


class Unlimited:
    """The limiter that never limits (``CONSENTGATE_RATE_LIMIT_APP=0``)."""

    def acquire(self, key: str) -> float:
        return 0.0


class TokenBucket:
    """``burst`` tokens per key, refilled at ``rate`` per second; thread-safe."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        with self._lock:
            tokens = self._tokens(key)
            if tokens >= 1:
                self._store(key, tokens - 1)
                return 0.0
            self._store(key, tokens)
            return (1 - tokens) / self.rate

    def wait(self, key: str) -> float:
        """The seconds until ``key`` has a token (0.0 when it has one now); takes none."""
        with self._lock:
            tokens = self._tokens(key)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _tokens(self, key: str) -> float:
        now = self._clock()
        found = self._buckets.get(key)
        if found is None:
            return float(self.burst)
        tokens, at = found
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def _store(self, key: str, tokens: float) -> None:
        self._buckets[key] = (tokens, self._clock())
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
