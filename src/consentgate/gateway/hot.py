"""The read path's decision state in memory — the app, the subject's consents to it, the
subject's processing state — kept true by one version check per read.

Why: loading that state costs three SQL statements through SQLAlchemy per read, several
hundred microseconds of server CPU (docs/benchmarks.md), for state that changes rarely
next to how often it is read.

How it stays true, in every process at once (I4 — a withdrawal, a suspension, a
restriction applies to the very next request, whichever process serves it):

1. the database bumps ``decision_version`` in the same transaction as every change to
   ``apps``, ``consents`` or ``subject_states`` — its own triggers (migration 0010), so no
   writer can forget, in this process or any other, or a tool editing the tables by hand;
2. each read first reads that version (``storage.version.VersionReader``: one primary-key
   query, no SQLAlchemy); if it moved since the cache was filled, the cache is emptied
   before anything is taken from it;
3. an entry is loaded *after* the version was read, so it is at least as new as the
   version it is filed under; one loaded while another read already saw a newer version is
   used for its own read and never filed (the ``version`` check under the lock).

A change committed before a read's version check is therefore seen by that read. The
consents are filed with their withdrawal times and filtered again at each read (a consent
withdrawn after it was filed, per the clock, is not live); expiry is the decision's own
check. The cache is bounded (emptied when it holds ``max_entries``). Only SQL stores get
one (``Runtime``); the memory twins are read directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from consentgate.catalog import Catalog
from consentgate.policy import AppView, ConsentView, SubjectState
from consentgate.stores import Stores

__all__ = ["DecisionCache"]

K = TypeVar("K")
V = TypeVar("V")


class DecisionCache:
    def __init__(
        self,
        stores: Stores,
        catalog: Catalog,
        version: Callable[[], int],
        *,
        max_entries: int = 200_000,
    ) -> None:
        self._stores = stores
        self._catalog = catalog
        self._read_version = version
        self._max = max_entries
        self._lock = threading.Lock()
        self._version = -1
        self._apps: dict[str, AppView | None] = {}
        self._consents: dict[tuple[str, str], tuple[ConsentView, ...]] = {}
        self._states: dict[str, SubjectState] = {}

    def check(self) -> int:
        """Read the version (once per read, before anything is taken from the cache);
        empty the cache if it moved. Returns the version this read works under."""
        seen = self._read_version()
        with self._lock:
            if seen != self._version:
                self._apps.clear()
                self._consents.clear()
                self._states.clear()
                self._version = seen
        return seen

    def app(self, version: int, app_id: str) -> AppView | None:
        found = self._apps.get(app_id, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        view = self._stores.apps.view(app_id, self._catalog)
        self._file(version, self._apps, app_id, view)
        return view

    def consents(
        self, version: int, subject_id: str, app_id: str, now_us: int
    ) -> list[ConsentView]:
        """The subject's consents to the app not withdrawn at ``now_us``."""
        key = (subject_id, app_id)
        views = self._consents.get(key)
        if views is None:
            views = tuple(
                self._stores.consents.decision_views(
                    subject_id=subject_id, app_id=app_id, catalog=self._catalog, now_us=now_us
                )
            )
            self._file(version, self._consents, key, views)
        return [v for v in views if v.withdrawn_us is None or v.withdrawn_us > now_us]

    def state(self, version: int, subject_id: str) -> SubjectState:
        found = self._states.get(subject_id)
        if found is None:
            found = self._stores.subjects.decision_state(subject_id)
            self._file(version, self._states, subject_id, found)
        return found

    def _file(self, version: int, table: dict[K, V], key: K, value: V) -> None:
        """File ``value`` if the cache still holds ``version`` (else: used once, not kept)."""
        with self._lock:
            if version != self._version:
                return
            if len(self._apps) + len(self._consents) + len(self._states) >= self._max:
                self._apps.clear()
                self._consents.clear()
                self._states.clear()
            table[key] = value


_MISSING = object()
