"""The political transparency register (DESIGN.md, "Election-period safeguards"): every app
approved for ``political_campaigning`` — approved, or suspended since — with its developer,
sponsor, purposes and approved fields, and the people it reached, counted from the ledger
up to one named checkpoint (``counting``: distinct people per country and in total, counts
below the minimum cell size published as null).

**Which checkpoint.** Counts only grow, so two registers at two checkpoints differ by the
people newly reached in between; if checkpoints (signed every half second under load) were
each a new register, an observer polling it could watch a single person arrive, with their
country. So the register moves on once per period (``CONSENTGATE_TRANSPARENCY_PERIOD_SECONDS``,
a day by default): it counts up to the latest checkpoint signed before the current period
began (UTC, periods counted from the epoch), and between two registers one sees a period's
worth of arrivals. A period of 0 counts up to the latest checkpoint (tests, simulations).
A page's cursor keeps the checkpoint of the first page, so one listing never mixes two.

The counts at a checkpoint never change (leaves below its size are immutable), so they are
computed once per checkpoint and app, and kept.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consentgate.apps import App
from consentgate.catalog import POLITICAL_PURPOSE
from consentgate.clock import to_micros, utc_now
from consentgate.errors import InvalidInput, LedgerDamaged
from consentgate.ledger import Checkpoint
from consentgate.ledger.merkle import EMPTY_ROOT
from consentgate.policy import AppStatus
from consentgate.stores import Stores
from consentgate.transparency.counting import MIN_CELL_SIZE, Reach, count_reach, publish

__all__ = ["CheckpointRef", "PoliticalRegister", "RegisterEntry", "RegisterPage"]

# apps that were approved for the purpose: those that are, and those suspended since
LISTED = (AppStatus.APPROVED, AppStatus.SUSPENDED)
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class CheckpointRef:
    """The checkpoint counts are made up to: a tree size and its root hash."""

    size: int
    root: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "root": self.root.hex()}


@dataclass(frozen=True)
class RegisterEntry:
    app_id: str
    name: str
    developer: dict[str, str]  # name and country (never a contact address)
    sponsor: dict[str, str] | None
    purposes: tuple[str, ...]
    fields: tuple[str, ...]  # approved at review
    countries: dict[str, int | None]
    people: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "name": self.name,
            "developer": dict(self.developer),
            "sponsor": None if self.sponsor is None else dict(self.sponsor),
            "purposes": list(self.purposes),
            "fields": list(self.fields),
            "countries": dict(self.countries),
            "people": self.people,
        }


@dataclass(frozen=True)
class RegisterPage:
    checkpoint: CheckpointRef
    min_cell_size: int
    entries: tuple[RegisterEntry, ...]
    more: bool  # another app follows the last one listed


class PoliticalRegister:
    """The register over ``stores``; ``period_seconds`` as in the module docstring."""

    def __init__(
        self, stores: Stores, *, period_seconds: int, min_cell_size: int = MIN_CELL_SIZE
    ) -> None:
        if period_seconds < 0:
            raise ValueError("the register's period is 0 or more seconds")
        self._stores = stores
        self._period_us = period_seconds * 1_000_000
        self.min_cell_size = min_cell_size
        self._lock = threading.Lock()
        self._reach: dict[tuple[int, str], Reach] = {}

    def current_checkpoint(self, *, now: datetime | None = None) -> CheckpointRef:
        """The checkpoint the register counts up to now (the empty tree before any)."""
        ledger = self._stores.ledger
        if self._period_us == 0:
            found = ledger.checkpoint()
        else:
            moment = to_micros(now or utc_now())
            found = ledger.checkpoint_before(moment - moment % self._period_us)
        return _ref(found)

    def checkpoint_of(self, size: int) -> CheckpointRef:
        """The published checkpoint of ``size`` (a cursor's); ``InvalidInput`` if none."""
        if size == 0:
            return CheckpointRef(0, EMPTY_ROOT)
        found = self._stores.ledger.checkpoint_of(size)
        if found is None:
            raise InvalidInput("the paging cursor is not valid for this list")
        return _ref(found)

    def page(
        self,
        *,
        checkpoint: CheckpointRef | None = None,
        after: str | None = None,
        limit: int = 100,
        now: datetime | None = None,
    ) -> RegisterPage:
        """Up to ``limit`` apps after the id ``after``, counted up to ``checkpoint`` (the
        current one when None)."""
        at = checkpoint or self.current_checkpoint(now=now)
        limit = max(1, min(limit, 1000))
        apps = self._stores.apps.with_purpose(
            POLITICAL_PURPOSE, statuses=LISTED, after=after, limit=limit + 1
        )
        shown = apps[:limit]
        reach = self._reach_of([a.id for a in shown], at.size)
        entries = tuple(self._entry(app, reach[app.id]) for app in shown)
        return RegisterPage(at, self.min_cell_size, entries, more=len(apps) > limit)

    def _entry(self, app: App, reach: Reach) -> RegisterEntry:
        published = publish(reach, min_cell_size=self.min_cell_size)
        sponsor = None if app.sponsor is None else app.sponsor.model_dump()
        return RegisterEntry(
            app_id=app.id,
            name=app.name,
            developer={"name": app.developer.name, "country": app.developer.country},
            sponsor=sponsor,
            purposes=app.purposes,
            fields=app.fields_approved,
            countries=published.countries,
            people=published.people,
        )

    def _reach_of(self, app_ids: Sequence[str], size: int) -> dict[str, Reach]:
        with self._lock:
            known = {a: self._reach[(size, a)] for a in app_ids if (size, a) in self._reach}
        missing = [a for a in app_ids if a not in known]
        if missing:
            leaves = self._stores.ledger.app_leaves(missing, end=size)
            try:
                counted = count_reach(data for _, data in leaves)
            except (ValueError, KeyError, TypeError) as exc:
                raise LedgerDamaged(
                    "a stored leaf does not decode: run consentgate ledger verify --database"
                ) from exc
            with self._lock:
                if len(self._reach) > _CACHE_LIMIT:
                    self._reach.clear()
                for app_id in missing:
                    known[app_id] = self._reach[(size, app_id)] = counted.get(app_id, Reach())
        return known


def _ref(checkpoint: Checkpoint | None) -> CheckpointRef:
    if checkpoint is None:
        return CheckpointRef(0, EMPTY_ROOT)
    return CheckpointRef(checkpoint.size, checkpoint.root)
