"""Client authentication at ``/oauth/token`` that a flood cannot turn against the server.

Verifying a client secret is argon2 (64 MiB, about a quarter of a second): left in the
shared worker pool, forty wrong secrets at once took two gigabytes and starved every other
request. ``ClientAuthGuard`` runs verifications on a small executor of its own, ``slots``
at a time and at most half of them for one source address; a request that finds no slot is
answered 429 at once rather than queued (memory stays at ``slots`` hashes). After
``failures_per_minute`` failed authentications for a client id, or from an address, that
client or address is answered 429 with ``Retry-After`` until its bucket refills, before any
hash is computed. An unknown client id costs a verification like a wrong secret
(``apps.authenticate_client``), so neither the answer nor its time tells which ids exist."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from consentgate.apps import App, AppStore, authenticate_client
from consentgate.errors import RateLimited
from consentgate.limits import TokenBucket

__all__ = ["ClientAuthGuard"]


class ClientAuthGuard:
    def __init__(self, apps: AppStore, *, slots: int, failures_per_minute: int) -> None:
        self._apps = apps
        self._slots = slots
        self._per_address = max(1, slots // 2)
        self._executor = ThreadPoolExecutor(
            max_workers=slots, thread_name_prefix="consentgate-client-auth"
        )
        self._lock = threading.Lock()
        self._busy = 0
        self._busy_by: Counter[str] = Counter()
        rate = failures_per_minute / 60
        self._clients = TokenBucket(rate=rate, burst=failures_per_minute)
        self._addresses = TokenBucket(rate=rate, burst=failures_per_minute)

    async def authenticate(self, client_id: str, secret: str, *, address: str) -> App | None:
        """The app these credentials are of, or None; ``RateLimited`` when the client or
        the address failed too often lately, or no verification slot is free."""
        wait = max(self._clients.wait(client_id), self._addresses.wait(address))
        if wait > 0:
            raise RateLimited(
                "too many failed client authentications: wait before trying again",
                retry_after=wait,
            )
        with self._lock:
            if self._busy >= self._slots or self._busy_by[address] >= self._per_address:
                raise RateLimited("the server is busy verifying client secrets", retry_after=1)
            self._busy += 1
            self._busy_by[address] += 1
        try:
            future = self._executor.submit(authenticate_client, self._apps, client_id, secret)
        except BaseException:
            self._release(address)
            raise
        # the slot is freed when the hash is done, even if this request is cancelled first
        future.add_done_callback(lambda _: self._release(address))
        app = await asyncio.wrap_future(future)
        if app is None:
            self._clients.acquire(client_id)
            self._addresses.acquire(address)
        return app

    def _release(self, address: str) -> None:
        with self._lock:
            self._busy -= 1
            self._busy_by[address] -= 1
            if self._busy_by[address] <= 0:
                del self._busy_by[address]

    def close(self) -> None:
        """Stop the executor (after the verifications running now)."""
        self._executor.shutdown(wait=True)
