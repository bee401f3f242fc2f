"""Where personal data lives: the ``Source`` protocol the gateway reads through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from consentgate.policy import SubjectView

__all__ = ["Record", "Source"]

Record = dict[str, Any]


@runtime_checkable
class Source(Protocol):
    """A platform's personal data, read by subject id.

    Implementations return only what is asked: ``fetch`` the named catalog fields of the
    named subjects (unknown subjects are simply absent from the result), ``friends`` the
    platform ids of a subject's friends, ``attributes`` the country and birth date the
    decision needs (absent for unknown subjects).
    """

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Record]: ...

    def friends(self, subject_id: str) -> list[str]: ...

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]: ...
