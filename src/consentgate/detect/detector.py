"""The detector: feeds every read decision into its app's windowed signals and runs the
rules. It holds no I/O of its own except the count of an app's consenting subjects, asked
of a callable (cached) only when a distinct-count rule needs it.

The windows live in this process (``WindowedSignals``) or, given ``windows``, wherever that
factory keeps them (``detect.shared.RedisSignals``: shared by every server process).

Thread-safe: the read path calls ``observe`` from worker threads. Once a rule fires for an
app, the app is marked contained and gives no further findings until it is seen reading
again after containment (an operator reinstated it): then its signals start afresh.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from consentgate.detect.rules import Finding, Thresholds, evaluate
from consentgate.detect.signals import ReadEvent, Signals, WindowedSignals

__all__ = ["Detector", "Windows", "memory_windows"]

# an app's windows: (app id, thresholds, first seen) -> its signals
Windows = Callable[[str, Thresholds, float], Signals]


def memory_windows(_app_id: str, limits: Thresholds, at: float) -> Signals:
    """The app's windows in this process."""
    return WindowedSignals(short=limits.short_window, long=limits.long_window, at=at)


CONSENTING_TTL_SECONDS = 30.0
SWEEP_EVERY = 10_000  # events between sweeps of apps idle for a whole long window


class Detector:
    def __init__(
        self,
        thresholds: Thresholds | None = None,
        *,
        consenting: Callable[[str], int],
        windows: Windows = memory_windows,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self._consenting = consenting
        self._windows = windows
        self._cache: dict[str, tuple[float, int]] = {}
        self._apps: dict[str, Signals] = {}
        self._contained: dict[str, float] = {}
        self._lock = threading.Lock()
        self._until_sweep = SWEEP_EVERY

    def observe(self, event: ReadEvent) -> Finding | None:
        """Account for one read; the finding if a rule fires (at most one per containment)."""
        if event.ignored:
            return None
        limits = self.thresholds
        with self._lock:
            contained_at = self._contained.get(event.app_id)
            if contained_at is not None:
                if event.at <= contained_at or not event.decided:
                    return None  # decided before the suspension took hold, or no decision
                del self._contained[event.app_id]  # reading again: reinstated
                self._apps.pop(event.app_id, None)
            signals = self._apps.get(event.app_id)
            if signals is None:
                signals = self._apps[event.app_id] = self._windows(event.app_id, limits, event.at)
            signals.observe(event)
            self._until_sweep -= 1
            if self._until_sweep <= 0:
                self._sweep(event.at)
            finding = evaluate(
                event.app_id, signals, limits, at=event.at, consenting=self._consenting_count
            )
            if finding is not None:
                self._contained[event.app_id] = math.inf  # until containment has taken hold
                signals.restart()  # shared windows: afresh for the other processes too
            return finding

    def mark_contained(self, app_id: str, *, at: float) -> None:
        """The app's suspension took hold at ``at``: reads decided before it are old news,
        an allowed read after it means an operator reinstated the app."""
        with self._lock:
            self._contained[app_id] = at

    def _sweep(self, now: float) -> None:
        """Forget apps with nothing left in their long window (memory stays bounded by the
        apps active within a day, not by every app ever seen)."""
        self._until_sweep = SWEEP_EVERY
        horizon = self.thresholds.long_window[0] * self.thresholds.long_window[1]
        idle = [a for a, s in self._apps.items() if now - s.last_seen > horizon]
        for app_id in idle:
            del self._apps[app_id]
            self._cache.pop(app_id, None)

    def _consenting_count(self, app_id: str) -> int:
        now = time.monotonic()
        cached = self._cache.get(app_id)
        if cached is not None and now - cached[0] < CONSENTING_TTL_SECONDS:
            return cached[1]
        count = self._consenting(app_id)
        self._cache[app_id] = (now, count)
        return count
