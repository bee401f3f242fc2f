"""Harvest signals: what every read decision (allowed or refused) says about an app, kept
per app over sliding windows in bounded memory.

A window is a ring of fixed-width buckets. Each bucket holds a few counters, HyperLogLog
sketches (Apache DataSketches) for the distinct-count signals, and small capped name sets;
the ring keeps running totals of the counters so the cheap rules read them in O(1), and
the distinct counts are the union of the live buckets' sketches. Memory per app is fixed by
the number of buckets, whatever the traffic: no exact set of subjects grows with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from datasketches import HLL_4, hll_sketch, hll_union

from consentgate.policy import Reason

__all__ = [
    "CONSENT_REFUSALS",
    "Count",
    "Distinct",
    "ReadEvent",
    "Ring",
    "Signals",
    "WindowedSignals",
    "changes",
]

HLL_LG_K = 10  # 1,024 registers: about 3 % relative error, at most ~0.6 KiB per sketch
NAME_CAP = 64  # names kept per bucket for evidence (catalog names; unknown ones capped)

# refusals that mean "this person did not agree to this": probing for what was refused
CONSENT_REFUSALS = frozenset(
    {
        Reason.NO_CONSENT,
        Reason.CONSENT_EXPIRED,
        Reason.PURPOSE_NOT_CONSENTED,
        Reason.FIELD_NOT_CONSENTED,
        Reason.EXPLICIT_CONSENT_REQUIRED,
        Reason.PARENTAL_CONSENT_REQUIRED,
    }
)
# asks outside what the app was approved for
OUT_OF_SCOPE = frozenset({Reason.FIELD_NOT_APPROVED, Reason.FIELD_FORBIDDEN})
PURPOSE_REFUSALS = frozenset({Reason.PURPOSE_NOT_DECLARED, Reason.PURPOSE_NOT_CONSENTED})
# refusals that say nothing about the app's behaviour (it is already out)
IGNORED = frozenset({Reason.APP_SUSPENDED, Reason.APP_NOT_APPROVED, Reason.DECISION_ERROR})


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """One read request of an app, as the detector sees it.

    ``target`` is the platform id behind the app-scoped id asked for (None when the id was
    not one this app was given: then ``scoped_id`` holds what was sent). ``reason`` is the
    refusal of the whole request, ``withheld`` the per-field refusals, ``unknown_fields`` /
    ``unknown_purpose`` names the catalog does not know, ``disclosed`` the platform ids whose
    data leaves with the response, ``source`` the client's network address."""

    app_id: str
    at: float
    source: str
    purpose: str
    target: str | None = None
    scoped_id: str | None = None
    reason: str | None = None
    withheld: Mapping[str, str] = field(default_factory=dict)
    disclosed: tuple[str, ...] = ()
    unknown_fields: tuple[str, ...] = ()
    unknown_purpose: bool = False

    @property
    def ignored(self) -> bool:
        return self.reason in IGNORED

    @property
    def decided(self) -> bool:
        """Whether the request reached a decision (it named known fields and purpose)."""
        return not (self.unknown_fields or self.unknown_purpose)


class Count(IntEnum):
    REQUESTS = 0  # read requests
    TARGET_READS = 1  # requests for an id this app was given
    UNRESOLVED = 2  # requests for an id this app was never given
    REFUSED = 3  # requests where something was refused for want of consent
    OUT_OF_SCOPE = 4  # field asks outside the app's approval (forbidden, unknown included)
    PURPOSE_REFUSED = 5  # requests refused for their purpose (undeclared, unconsented, unknown)
    DISCLOSURES = 6  # subject records released


class Distinct(IntEnum):
    TARGETS = 0  # subjects (or foreign ids) asked for
    UNRESOLVED_IDS = 1  # distinct ids this app was never given
    DISCLOSED = 2  # subjects whose data went out
    SOURCES = 3  # client addresses


class _Bucket:
    __slots__ = ("counts", "epoch", "fields", "purposes", "sketches")

    def __init__(self) -> None:
        self.epoch = -1
        self.counts = [0] * len(Count)
        self.sketches: list[hll_sketch | None] = [None] * len(Distinct)
        self.fields: set[str] = set()
        self.purposes: set[str] = set()

    def reset(self, epoch: int) -> None:
        self.epoch = epoch
        self.counts = [0] * len(Count)
        self.sketches = [None] * len(Distinct)
        self.fields = set()
        self.purposes = set()

    def add_distinct(self, kind: Distinct, value: str) -> None:
        sketch = self.sketches[kind]
        if sketch is None:
            sketch = self.sketches[kind] = hll_sketch(HLL_LG_K, HLL_4)
        sketch.update(value)

    def distinct(self, kind: Distinct) -> float:
        sketch = self.sketches[kind]
        return 0.0 if sketch is None else float(sketch.get_estimate())


class Ring:
    """A sliding window of ``size`` buckets of ``width`` seconds, with running totals."""

    def __init__(self, *, width: int, size: int) -> None:
        self.width = width
        self.size = size
        self.seconds = width * size
        self._buckets = [_Bucket() for _ in range(size)]
        self._epoch = -1
        self.totals = [0] * len(Count)

    def advance(self, at: float) -> _Bucket:
        """Move the window to ``at`` (dropping buckets that left it); the current bucket."""
        epoch = int(at // self.width)
        if epoch > self._epoch:
            first = max(self._epoch + 1, epoch - self.size + 1)
            for gone in range(first, epoch + 1):
                bucket = self._buckets[gone % self.size]
                if bucket.epoch >= 0:
                    for i, value in enumerate(bucket.counts):
                        self.totals[i] -= value
                bucket.reset(gone)
            self._epoch = epoch
        return self._buckets[epoch % self.size]

    def add(self, count: Count, bucket: _Bucket, amount: int = 1) -> None:
        bucket.counts[count] += amount
        self.totals[count] += amount

    def current(self) -> _Bucket:
        return self._buckets[self._epoch % self.size]

    def live(self) -> Iterable[_Bucket]:
        low = self._epoch - self.size
        return (b for b in self._buckets if b.epoch > low and b.epoch >= 0)

    def distinct(self, kind: Distinct) -> float:
        union = hll_union(HLL_LG_K)
        for bucket in self.live():
            sketch = bucket.sketches[kind]
            if sketch is not None:
                union.update(sketch)
        return float(union.get_result().get_estimate())

    def names(self, which: str) -> list[str]:
        found: set[str] = set()
        for bucket in self.live():
            found |= bucket.fields if which == "fields" else bucket.purposes
        return sorted(found)


class WindowedSignals:
    """One app's signals over a short window (default an hour of minutes) and a long one
    (default a day of hours)."""

    def __init__(self, *, short: tuple[int, int], long: tuple[int, int], at: float) -> None:
        self.short = Ring(width=short[0], size=short[1])
        self.long = Ring(width=long[0], size=long[1])
        self.first_seen = at
        self.last_seen = at
        self.last_evaluated = float("-inf")

    def restart(self) -> None:
        """Nothing to do: this process' detector drops the app's signals itself once the
        app is seen reading again after containment."""

    def sketches(self) -> list[hll_sketch]:
        """Every sketch the app's windows hold now (what its memory is made of)."""
        return [
            sketch
            for ring in (self.short, self.long)
            for bucket in ring.live()
            for sketch in bucket.sketches
            if sketch is not None
        ]

    def observe(self, event: ReadEvent) -> None:
        self.last_seen = max(self.last_seen, event.at)
        deltas, distinct, fields = changes(event)
        for ring in (self.short, self.long):
            bucket = ring.advance(event.at)
            for count, amount in enumerate(deltas):
                if amount:
                    ring.add(Count(count), bucket, amount)
            for kind, value in distinct:
                bucket.add_distinct(kind, value)
            _capped_update(bucket.fields, fields)
            _capped_update(bucket.purposes, [event.purpose])


def changes(event: ReadEvent) -> tuple[list[int], list[tuple[Distinct, str]], list[str]]:
    """What ``event`` adds to a bucket of each window: the counter deltas (indexed by
    ``Count``), the distinct-count values, and the out-of-scope field names (the bucket
    also keeps the event's purpose) — for memory and for Redis (``detect.shared``) alike."""
    deltas = [0] * len(Count)
    deltas[Count.REQUESTS] = 1
    distinct: list[tuple[Distinct, str]] = [(Distinct.SOURCES, event.source)]
    if event.target is not None:
        deltas[Count.TARGET_READS] = 1
        distinct.append((Distinct.TARGETS, event.target))
    elif event.scoped_id is not None:
        deltas[Count.UNRESOLVED] = 1
        distinct.append((Distinct.UNRESOLVED_IDS, event.scoped_id))
        distinct.append((Distinct.TARGETS, "?" + event.scoped_id))
    reasons = set(event.withheld.values())
    if event.reason is not None:
        reasons.add(event.reason)
    if event.target is not None and reasons & CONSENT_REFUSALS:
        deltas[Count.REFUSED] = 1
    out_of_scope = [f for f, r in event.withheld.items() if r in OUT_OF_SCOPE]
    out_of_scope += event.unknown_fields
    deltas[Count.OUT_OF_SCOPE] = len(out_of_scope)
    if event.unknown_purpose or event.reason in PURPOSE_REFUSALS:
        deltas[Count.PURPOSE_REFUSED] = 1
    deltas[Count.DISCLOSURES] = len(event.disclosed)
    distinct += [(Distinct.DISCLOSED, subject) for subject in event.disclosed]
    return deltas, distinct, out_of_scope


class Bucket(Protocol):
    """One bucket as the rules read it."""

    counts: list[int]

    def distinct(self, kind: Distinct) -> float: ...


class Window(Protocol):
    """A sliding window as the rules read it (``Ring``, or Redis' ``detect.shared``)."""

    width: int
    seconds: int

    @property
    def totals(self) -> list[int]: ...

    def distinct(self, kind: Distinct) -> float: ...

    def names(self, which: str) -> list[str]: ...

    def current(self) -> Bucket: ...


class Signals(Protocol):
    """One app's windows: in this process (``WindowedSignals``) or in Redis
    (``detect.shared.RedisSignals``)."""

    first_seen: float
    last_seen: float
    last_evaluated: float

    @property
    def short(self) -> Window: ...

    @property
    def long(self) -> Window: ...

    def observe(self, event: ReadEvent) -> None: ...

    def restart(self) -> None:
        """Start the windows afresh for every process that shares them (after a finding)."""


def _capped_update(names: set[str], new: Iterable[str]) -> None:
    for name in new:
        if len(names) >= NAME_CAP:
            return
        names.add(name[:64])
