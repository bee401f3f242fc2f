"""A person's processing state (a room; table ``subject_states``): an Art. 18 restriction
with its ground, and the purposes they object to (Art. 21) — for every app at once. The
gateway reads it with every decision (``SubjectStateStore.decision_state``), so a
restriction or an objection applies to the very next request, in any process (I4)."""

from consentgate.subjects.state import GROUNDS, ProcessingState
from consentgate.subjects.store import (
    MemorySubjectStateStore,
    SqlSubjectStateStore,
    SubjectStateStore,
)

__all__ = [
    "GROUNDS",
    "MemorySubjectStateStore",
    "ProcessingState",
    "SqlSubjectStateStore",
    "SubjectStateStore",
]
