"""Where processing states are kept (table ``subject_states``, one row per person with
anything in effect): the ``SubjectStateStore`` protocol, its SQL implementation and an
in-memory twin. A person with nothing in effect has no row; every change is one
transaction, and a restriction is a compare-and-set (of two, one wins)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.policy import SubjectState
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import subject_states
from consentgate.subjects.state import ProcessingState

__all__ = ["MemorySubjectStateStore", "SqlSubjectStateStore", "SubjectStateStore"]


class SubjectStateStore(Protocol):
    def get(self, subject_id: str) -> ProcessingState: ...

    def decision_state(self, subject_id: str) -> SubjectState:
        """What the decision looks at (the read path's point query)."""
        ...

    def decision_states(self, subject_ids: Sequence[str]) -> dict[str, SubjectState]:
        """The same for many (a friends page); people with nothing in effect are absent."""
        ...

    def restrict(self, subject_id: str, *, ground: str, request_id: str, at_us: int) -> bool:
        """Restrict, unless already restricted (then False and nothing changes)."""
        ...

    def lift(self, subject_id: str, *, at_us: int) -> str | None:
        """Lift the restriction; the id of the request that restricted (None: none was)."""
        ...

    def object(
        self, subject_id: str, purposes: Iterable[str], *, request_id: str, at_us: int
    ) -> list[str]:
        """Object to ``purposes``; the ones newly objected to (others keep their request)."""
        ...

    def withdraw_objection(self, subject_id: str, purpose: str, *, at_us: int) -> str | None:
        """End the objection to ``purpose``; the request that objected (None: there was none)."""
        ...

    def forget(self, subject_id: str) -> None:
        """Delete what is kept of the person (erasure)."""
        ...


_STATE = select(subject_states).where(subject_states.c.subject_id == bindparam("subject_id"))


class SqlSubjectStateStore(SqlStore):
    def get(self, subject_id: str) -> ProcessingState:
        with self._reading() as connection:
            return _get(connection, subject_id)

    def decision_state(self, subject_id: str) -> SubjectState:
        return self.get(subject_id).decision_state()

    def decision_states(self, subject_ids: Sequence[str]) -> dict[str, SubjectState]:
        ids = list(dict.fromkeys(subject_ids))
        found: dict[str, SubjectState] = {}
        with self._reading() as connection:
            for start in range(0, len(ids), 500):
                statement = select(subject_states).where(
                    subject_states.c.subject_id.in_(ids[start : start + 500])
                )
                for row in connection.execute(statement).mappings():
                    state = _from_row(row)
                    if not state.empty:
                        found[state.subject_id] = state.decision_state()
        return found

    def restrict(self, subject_id: str, *, ground: str, request_id: str, at_us: int) -> bool:
        values = {
            "restriction_ground": ground,
            "restriction_request": request_id,
            "updated_us": at_us,
        }
        with self._writing() as connection:
            if not _exists(connection, subject_id):
                connection.execute(
                    insert(subject_states),
                    [{"subject_id": subject_id, "objections": {}, **values}],
                )
                return True
            statement = (
                update(subject_states)
                .where(
                    subject_states.c.subject_id == subject_id,
                    subject_states.c.restriction_ground.is_(None),
                )
                .values(**values)
            )
            return bool(connection.execute(statement).rowcount == 1)

    def lift(self, subject_id: str, *, at_us: int) -> str | None:
        with self._writing() as connection:
            state = _get(connection, subject_id)
            if not state.restricted:
                return None
            connection.execute(
                update(subject_states)
                .where(subject_states.c.subject_id == subject_id)
                .values(restriction_ground=None, restriction_request=None, updated_us=at_us)
            )
            _drop_if_empty(connection, subject_id)
            return state.restriction_request

    def object(
        self, subject_id: str, purposes: Iterable[str], *, request_id: str, at_us: int
    ) -> list[str]:
        with self._writing() as connection:
            state = _get(connection, subject_id)
            objections = dict(state.objections)
            added = [p for p in dict.fromkeys(purposes) if p not in objections]
            if not added:
                return []
            objections.update(dict.fromkeys(added, request_id))
            if _exists(connection, subject_id):
                connection.execute(
                    update(subject_states)
                    .where(subject_states.c.subject_id == subject_id)
                    .values(objections=objections, updated_us=at_us)
                )
            else:
                connection.execute(
                    insert(subject_states),
                    [
                        {
                            "subject_id": subject_id,
                            "restriction_ground": None,
                            "restriction_request": None,
                            "objections": objections,
                            "updated_us": at_us,
                        }
                    ],
                )
            return added

    def withdraw_objection(self, subject_id: str, purpose: str, *, at_us: int) -> str | None:
        with self._writing() as connection:
            state = _get(connection, subject_id)
            objections = dict(state.objections)
            request_id = objections.pop(purpose, None)
            if request_id is None:
                return None
            connection.execute(
                update(subject_states)
                .where(subject_states.c.subject_id == subject_id)
                .values(objections=objections, updated_us=at_us)
            )
            _drop_if_empty(connection, subject_id)
            return request_id

    def forget(self, subject_id: str) -> None:
        with self._writing() as connection:
            connection.execute(
                delete(subject_states).where(subject_states.c.subject_id == subject_id)
            )


def _get(connection: Connection, subject_id: str) -> ProcessingState:
    row = connection.execute(_STATE, {"subject_id": subject_id}).mappings().first()
    return ProcessingState(subject_id) if row is None else _from_row(row)


def _exists(connection: Connection, subject_id: str) -> bool:
    return connection.execute(_STATE, {"subject_id": subject_id}).first() is not None


def _drop_if_empty(connection: Connection, subject_id: str) -> None:
    if _get(connection, subject_id).empty:
        connection.execute(delete(subject_states).where(subject_states.c.subject_id == subject_id))


def _from_row(row: Any) -> ProcessingState:
    return ProcessingState(
        subject_id=row["subject_id"],
        restriction_ground=row["restriction_ground"],
        restriction_request=row["restriction_request"],
        objections=dict(row["objections"] or {}),
    )


class MemorySubjectStateStore:
    """The same, in memory (a dict of states), for fast tests."""

    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._states: dict[str, ProcessingState] = {}

    def snapshot(self) -> dict[str, ProcessingState]:
        with self._lock:
            return dict(self._states)

    def restore(self, state: dict[str, ProcessingState]) -> None:
        with self._lock:
            self._states = state

    def get(self, subject_id: str) -> ProcessingState:
        with self._lock:
            return self._states.get(subject_id) or ProcessingState(subject_id)

    def decision_state(self, subject_id: str) -> SubjectState:
        return self.get(subject_id).decision_state()

    def decision_states(self, subject_ids: Sequence[str]) -> dict[str, SubjectState]:
        with self._lock:
            return {
                s: self._states[s].decision_state()
                for s in subject_ids
                if s in self._states and not self._states[s].empty
            }

    def _put(self, state: ProcessingState) -> None:
        if state.empty:
            self._states.pop(state.subject_id, None)
        else:
            self._states[state.subject_id] = state

    def restrict(self, subject_id: str, *, ground: str, request_id: str, at_us: int) -> bool:
        with self._lock:
            state = self.get(subject_id)
            if state.restricted:
                return False
            self._put(ProcessingState(subject_id, ground, request_id, dict(state.objections)))
            return True

    def lift(self, subject_id: str, *, at_us: int) -> str | None:
        with self._lock:
            state = self.get(subject_id)
            if not state.restricted:
                return None
            self._put(ProcessingState(subject_id, None, None, dict(state.objections)))
            return state.restriction_request

    def object(
        self, subject_id: str, purposes: Iterable[str], *, request_id: str, at_us: int
    ) -> list[str]:
        with self._lock:
            state = self.get(subject_id)
            objections = dict(state.objections)
            added = [p for p in dict.fromkeys(purposes) if p not in objections]
            objections.update(dict.fromkeys(added, request_id))
            self._put(
                ProcessingState(
                    subject_id, state.restriction_ground, state.restriction_request, objections
                )
            )
            return added

    def withdraw_objection(self, subject_id: str, purpose: str, *, at_us: int) -> str | None:
        with self._lock:
            state = self.get(subject_id)
            objections = dict(state.objections)
            request_id = objections.pop(purpose, None)
            self._put(
                ProcessingState(
                    subject_id, state.restriction_ground, state.restriction_request, objections
                )
            )
            return request_id

    def forget(self, subject_id: str) -> None:
        with self._lock:
            self._states.pop(subject_id, None)
