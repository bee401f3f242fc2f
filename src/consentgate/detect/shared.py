"""Harvest signals shared by every server process through Redis (``CONSENTGATE_REDIS_URL``):
the same windows as ``signals.WindowedSignals``, kept in Redis so that N workers — or N
machines — apply the thresholds to the app's whole traffic, not each to its share.

Per app, per window (``s`` short, ``l`` long), per bucket epoch, under one hash tag
``cg:detect:{<app>}``:

- ``…:<gen>:<w>:<epoch>``: a hash of the bucket's counters (``Count`` values as fields);
- ``…:<gen>:<w>:<epoch>:h<k>``: a HyperLogLog per distinct-count signal (``PFADD``; the
  window's distinct count is ``PFCOUNT`` over its live buckets — Redis' own union);
- ``…:<gen>:<w>:<epoch>:f`` / ``:p``: the bucket's capped name sets (fields, purposes);
- ``…:<gen>:first``: when the app was first seen (the burst rule's history).

Every key expires one bucket after its window has passed, so memory stays bounded by the
apps active within a window. One read costs one round trip: a Lua script adds the event to
both windows and returns the long window's totals (what the counter rules read on every
read). The distinct-count rules, which run at most once a second per app, cost one
``PFCOUNT`` each. A finding starts the app's windows afresh for every process (``restart``
bumps ``<gen>``), as one process' detector does in memory once the app is reinstated.

A Redis that does not answer fails the read closed: ``StorageUnavailable`` (503), nothing
released.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import RedisError

from consentgate.detect.signals import NAME_CAP, Count, Distinct, ReadEvent, Signals, changes
from consentgate.errors import StorageUnavailable
from consentgate.settings.detect import Thresholds

__all__ = ["RedisSignals", "connect_redis", "redis_windows"]

_OBSERVE = """
local p = KEYS[1]
local gen = redis.call('GET', p .. ':gen') or '0'
local at = tonumber(ARGV[1])
local cap = tonumber(ARGV[6])
local deltas = {}
for c = 0, 6 do deltas[c] = tonumber(ARGV[7 + c]) end
local i = 14
local distinct = {}
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do table.insert(distinct, {ARGV[i], ARGV[i + 1]}); i = i + 2 end
local names = {}
for _, suffix in ipairs({'f', 'p'}) do
  local list = {}
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do table.insert(list, ARGV[i]); i = i + 1 end
  names[suffix] = list
end
local totals = {0, 0, 0, 0, 0, 0, 0}
for _, ring in ipairs({{'s', tonumber(ARGV[2]), tonumber(ARGV[3])},
                       {'l', tonumber(ARGV[4]), tonumber(ARGV[5])}}) do
  local name, width, size = ring[1], ring[2], ring[3]
  local epoch = math.floor(at / width)
  local base = p .. ':' .. gen .. ':' .. name .. ':'
  local key = base .. string.format('%d', epoch)
  local ttl = width * (size + 1)
  for c = 0, 6 do
    if deltas[c] ~= 0 then redis.call('HINCRBY', key, c, deltas[c]) end
  end
  redis.call('EXPIRE', key, ttl)
  for _, pair in ipairs(distinct) do
    redis.call('PFADD', key .. ':h' .. pair[1], pair[2])
    redis.call('EXPIRE', key .. ':h' .. pair[1], ttl)
  end
  for suffix, list in pairs(names) do
    local set = key .. ':' .. suffix
    for _, value in ipairs(list) do
      if redis.call('SCARD', set) < cap then redis.call('SADD', set, value) end
    end
    if #list > 0 then redis.call('EXPIRE', set, ttl) end
  end
  if name == 'l' then
    for e = epoch - size + 1, epoch do
      local row = redis.call('HMGET', base .. string.format('%d', e), 0, 1, 2, 3, 4, 5, 6)
      for c = 1, 7 do totals[c] = totals[c] + (tonumber(row[c]) or 0) end
    end
    redis.call('SET', p .. ':' .. gen .. ':first', ARGV[1], 'NX', 'EX', ttl)
  end
end
local first = redis.call('GET', p .. ':' .. gen .. ':first')
return {gen, first, totals[1], totals[2], totals[3], totals[4], totals[5], totals[6], totals[7]}
"""


def connect_redis(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:port/db``); checked with a ping at start-up."""
    client = redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
    )
    with _answering():
        client.ping()
    return client


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise StorageUnavailable(
            f"the detector's Redis does not answer ({type(exc).__name__}): "
            "check CONSENTGATE_REDIS_URL"
        ) from None


class _Bucket:
    """One live bucket as the burst rule reads it (its counters and distinct counts)."""

    def __init__(self, window: _Window, key: str) -> None:
        self._window = window
        self._key = key
        with _answering():
            row = window.client.hmget(key, list(range(len(Count))))
        self.counts = [int(v or 0) for v in row]

    def distinct(self, kind: Distinct) -> float:
        with _answering():
            return float(self._window.client.pfcount(f"{self._key}:h{int(kind)}"))


class _Window:
    """One sliding window in Redis, seen from the latest event this process added."""

    def __init__(self, signals: RedisSignals, name: str, *, width: int, size: int) -> None:
        self.client = signals.client
        self._signals = signals
        self.name = name
        self.width = width
        self.size = size
        self.seconds = width * size
        self.epoch = -1
        self._totals: list[int] | None = None

    def _keys(self, suffix: str = "") -> list[str]:
        base = f"{self._signals.prefix}:{self._signals.gen}:{self.name}"
        return [f"{base}:{e}{suffix}" for e in range(self.epoch - self.size + 1, self.epoch + 1)]

    def moved(self, at: float, totals: list[int] | None) -> None:
        self.epoch = math.floor(at / self.width)
        self._totals = totals

    @property
    def totals(self) -> list[int]:
        if self._totals is None:
            with _answering():
                pipe = self.client.pipeline(transaction=False)
                for key in self._keys():
                    pipe.hmget(key, list(range(len(Count))))
                rows = pipe.execute()
            self._totals = [sum(int(row[c] or 0) for row in rows) for c in range(len(Count))]
        return self._totals

    def distinct(self, kind: Distinct) -> float:
        with _answering():
            return float(self.client.pfcount(*self._keys(f":h{int(kind)}")))

    def names(self, which: str) -> list[str]:
        with _answering():
            found = self.client.sunion(self._keys(":f" if which == "fields" else ":p"))
        return sorted(str(v) for v in found)

    def current(self) -> _Bucket:
        return _Bucket(self, self._keys()[-1])


class RedisSignals:
    """One app's windowed signals in Redis (the ``WindowedSignals`` the rules read)."""

    def __init__(
        self,
        client: redis.Redis,
        app_id: str,
        *,
        short: tuple[int, int],
        long: tuple[int, int],
        at: float,
    ) -> None:
        self.client = client
        self.prefix = f"cg:detect:{{{app_id}}}"
        self.gen = "0"
        self.short = _Window(self, "s", width=short[0], size=short[1])
        self.long = _Window(self, "l", width=long[0], size=long[1])
        self.first_seen = at
        self.last_seen = at
        self.last_evaluated = float("-inf")
        self._script = client.register_script(_OBSERVE)

    def observe(self, event: ReadEvent) -> None:
        """Add ``event`` to both windows (one round trip); the long window's totals and
        the app's first sighting come back with it."""
        self.last_seen = max(self.last_seen, event.at)
        deltas, distinct, fields = changes(event)
        args: list[str | int | float] = [
            repr(event.at),
            self.short.width,
            self.short.size,
            self.long.width,
            self.long.size,
            NAME_CAP,
            *deltas,
            len(distinct),
        ]
        for kind, value in distinct:
            args += [int(kind), value]
        fields = [name[:64] for name in fields[:NAME_CAP]]
        args += [len(fields), *fields, 1, event.purpose[:64]]
        with _answering():
            reply = self._script(keys=[self.prefix], args=args)
        self.gen = str(reply[0])
        self.first_seen = float(reply[1])
        self.long.moved(event.at, [int(v) for v in reply[2:]])
        self.short.moved(event.at, None)

    def restart(self) -> None:
        """Start the app's windows afresh, for every process (after a finding)."""
        with _answering():
            self.client.incr(f"{self.prefix}:gen")


def redis_windows(client: redis.Redis) -> Callable[[str, Thresholds, float], Signals]:
    """The detector's ``windows`` factory over ``client``: every app's windows in Redis."""

    def windows(app_id: str, limits: Thresholds, at: float) -> Signals:
        return RedisSignals(
            client, app_id, short=limits.short_window, long=limits.long_window, at=at
        )

    return windows
