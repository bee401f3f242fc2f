"""Where personal data lives: the ``Source`` protocol the gateway reads through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from consentgate.policy import SubjectView

__all__ = ["READ_ONLY", "Record", "Source", "SourceWrites", "WritableSource", "writes_of"]

Record = dict[str, Any]


@runtime_checkable
class Source(Protocol):
    """A platform's personal data, read by subject id.

    Implementations return only what is asked: ``fetch`` the named catalog fields of the
    named subjects (unknown subjects are simply absent from the result), ``friends`` the
    platform ids of a subject's friends, ``attributes`` the country and birth date the
    decision needs (absent for unknown subjects), ``guardians`` the platform ids of the
    holders of parental responsibility for a minor (Art. 8; empty for anyone else, and
    when the platform does not say: then no one can give a parental consent for them).
    """

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Record]: ...

    def friends(self, subject_id: str) -> list[str]: ...

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]: ...

    def guardians(self, subject_id: str) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class SourceWrites:
    """What a source can change at the platform: correct fields (Art. 16), erase a person's
    record (Art. 17). Reported at start-up and by ``GET /v1/rights/capabilities``."""

    rectify: bool = False
    erase: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"rectify": self.rectify, "erase": self.erase}


READ_ONLY = SourceWrites()


@runtime_checkable
class WritableSource(Source, Protocol):
    """A ``Source`` that can also write. ``writes`` says which operations it has;
    ``rectify`` sets catalog fields of one person (values already checked), ``erase``
    deletes what the platform holds of them — both idempotent, all or nothing, raising
    ``SourceReadOnly`` when the operation is not configured and ``StorageUnavailable``
    when the platform fails."""

    @property
    def writes(self) -> SourceWrites: ...

    def rectify(self, subject_id: str, changes: Mapping[str, Any]) -> None: ...

    def erase(self, subject_id: str) -> None: ...


def writes_of(source: Source) -> SourceWrites:
    """What ``source`` can write (a plain read-only ``Source``: nothing)."""
    return source.writes if isinstance(source, WritableSource) else READ_ONLY
