"""A ``Source`` of fixed people, for tests that need countries and ages without a platform
database: ``StaticSource({"7": SubjectView("7", "DE", date(2001, 5, 4))})``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consentgate.policy import SubjectView

__all__ = ["StaticSource"]


class StaticSource:
    def __init__(
        self,
        people: Mapping[str, SubjectView],
        records: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._people = dict(people)
        self._records = {k: dict(v) for k, v in (records or {}).items()}

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {
            s: {f: self._records.get(s, {}).get(f) for f in fields}
            for s in subject_ids
            if s in self._people
        }

    def friends(self, subject_id: str) -> list[str]:
        return []

    def guardians(self, subject_id: str) -> list[str]:
        return []

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]:
        return {s: self._people[s] for s in subject_ids if s in self._people}
