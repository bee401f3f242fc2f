"""A writable platform in memory: a ``Source`` (with ``rectify`` and ``erase``) over a dict
of records, for integrators' tests and ours. ``MemoryPlatform({"1": {...}})``; each record
may carry ``country`` and ``birthday`` (ISO date) for the decision, ``friends`` and
``guardians`` (lists of ids)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from consentgate.policy import SubjectView
from consentgate.sources import SourceWrites

__all__ = ["MemoryPlatform"]


class MemoryPlatform:
    def __init__(
        self, records: Mapping[str, Mapping[str, Any]], *, writes: SourceWrites | None = None
    ) -> None:
        self.records: dict[str, dict[str, Any]] = {k: dict(v) for k, v in records.items()}
        self._writes = writes or SourceWrites(rectify=True, erase=True)
        self.erased: list[str] = []

    @property
    def writes(self) -> SourceWrites:
        return self._writes

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Any]:
        return {
            s: {f: self.records[s][f] for f in fields if f in self.records[s]}
            for s in subject_ids
            if s in self.records
        }

    def friends(self, subject_id: str) -> list[str]:
        return list(self.records.get(subject_id, {}).get("friends", []))

    def guardians(self, subject_id: str) -> list[str]:
        return list(self.records.get(subject_id, {}).get("guardians", []))

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]:
        found = {}
        for s in subject_ids:
            record = self.records.get(s)
            if record is None:
                continue
            birthday = record.get("birthday")
            found[s] = SubjectView(
                s,
                record.get("country"),
                date.fromisoformat(birthday) if isinstance(birthday, str) else None,
            )
        return found

    def rectify(self, subject_id: str, changes: Mapping[str, Any]) -> None:
        self.records[subject_id].update(changes)

    def erase(self, subject_id: str) -> None:
        self.records.pop(subject_id, None)
        self.erased.append(subject_id)
