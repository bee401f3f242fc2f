"""What a person's processing state is: ``ProcessingState`` (as kept) and the
``policy.SubjectState`` the decision sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from consentgate.policy import SubjectState

__all__ = ["GROUNDS", "ProcessingState"]

# GDPR Art. 18(1)(a)-(d), in the contract's words
GROUNDS = ("accuracy_contested", "unlawful", "legal_claims", "objection_pending")


@dataclass(frozen=True, slots=True)
class ProcessingState:
    """``restriction_ground`` (None: not restricted) and the request that restricted;
    ``objections`` maps each purpose objected to to the request that objected."""

    subject_id: str
    restriction_ground: str | None = None
    restriction_request: str | None = None
    objections: Mapping[str, str] = field(default_factory=dict)

    @property
    def restricted(self) -> bool:
        return self.restriction_ground is not None

    @property
    def empty(self) -> bool:
        return not self.restricted and not self.objections

    def decision_state(self) -> SubjectState:
        if self.empty:
            return SubjectState.NONE
        return SubjectState(restricted=self.restricted, objections=frozenset(self.objections))
