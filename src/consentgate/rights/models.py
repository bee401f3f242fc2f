"""What a rights request is: its types and states (``RequestType``, ``RequestStatus``), the
request as kept (``RightsRequest``, with its history of ``RequestEvent``s) and the bodies a
person or an operator submits (one model per type, told apart by ``type``).

A request keeps no personal-data values: a rectification's ``details`` name the fields that
changed, never their new values (those go to the source and nowhere else).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from consentgate.clock import rfc3339

__all__ = [
    "AccessBody",
    "ErasureBody",
    "ObjectionBody",
    "OperatorRequestBody",
    "PortabilityBody",
    "RectificationBody",
    "RequestBody",
    "RequestEvent",
    "RequestStatus",
    "RequestType",
    "RestrictionBody",
    "RightsRequest",
]


class RequestType(StrEnum):
    ACCESS = "access"
    PORTABILITY = "portability"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    ERASURE = "erasure"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"


OPEN = frozenset({RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One step of a request's history, with who took it (``Actor.ref``)."""

    at: datetime
    status: RequestStatus
    note: str
    actor: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": rfc3339(self.at),
            "status": self.status.value,
            "note": self.note,
            "actor": self.actor,
        }


@dataclass(frozen=True, slots=True)
class RightsRequest:
    id: str
    subject_id: str
    type: RequestType
    status: RequestStatus
    received_at: datetime
    due_at: datetime
    details: dict[str, Any]
    created_by: str
    country: str | None = None
    verified_by: str | None = None
    extended_due_at: datetime | None = None
    extension_reason: str | None = None
    closed_at: datetime | None = None
    rejection_reason: str | None = None
    step: str | None = None  # the last erasure step done (rights/erasure.py)
    history: tuple[RequestEvent, ...] = field(default=())

    @property
    def deadline(self) -> datetime:
        return self.extended_due_at or self.due_at

    def overdue(self, now: datetime) -> bool:
        """Still open past its (extended) deadline."""
        return self.status in OPEN and self.deadline < now

    def as_dict(
        self, *, recipients: list[dict[str, Any]], operator: bool = False
    ) -> dict[str, Any]:
        """The request object of the HTTP contract (operators also see whose it is, who
        verified it and whether it is overdue)."""
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type.value,
            "status": self.status.value,
            "received_at": rfc3339(self.received_at),
            "due_at": rfc3339(self.due_at),
            "extended_due_at": _at(self.extended_due_at),
            "extension_reason": self.extension_reason,
            "closed_at": _at(self.closed_at),
            "rejection_reason": self.rejection_reason,
            "details": dict(self.details),
            "recipients": recipients,
            "history": [event.as_dict() for event in self.history],
        }
        if operator:
            body["subject_id"] = self.subject_id
            body["verified_by"] = self.verified_by
        return body


def _at(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


# --- what is submitted -----------------------------------------------------------------

_Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
# a corrected value: text, as the catalog's rectifiable fields all are (checked per field)
_Value = Annotated[str, StringConstraints(min_length=1, max_length=320)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AccessBody(_Body):
    type: Literal["access"]


class PortabilityBody(_Body):
    type: Literal["portability"]


class ErasureBody(_Body):
    type: Literal["erasure"]


class RectificationBody(_Body):
    type: Literal["rectification"]
    changes: Annotated[dict[_Name, _Value], Field(min_length=1, max_length=20)]


class ObjectionBody(_Body):
    type: Literal["objection"]
    purposes: Annotated[list[_Name], Field(min_length=1, max_length=20)]


class RestrictionBody(_Body):
    type: Literal["restriction"]
    ground: Literal["accuracy_contested", "unlawful", "legal_claims", "objection_pending"]


RequestBody = Annotated[
    AccessBody
    | PortabilityBody
    | RectificationBody
    | RestrictionBody
    | ObjectionBody
    | ErasureBody,
    Field(discriminator="type"),
]


class _OnBehalf(_Body):
    subject_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    verified_by: _Text  # how the person's identity was checked (Art. 12(6))


class OperatorAccess(AccessBody, _OnBehalf):
    pass


class OperatorPortability(PortabilityBody, _OnBehalf):
    pass


class OperatorErasure(ErasureBody, _OnBehalf):
    pass


class OperatorRectification(RectificationBody, _OnBehalf):
    pass


class OperatorObjection(ObjectionBody, _OnBehalf):
    pass


class OperatorRestriction(RestrictionBody, _OnBehalf):
    pass


OperatorRequestBody = Annotated[
    OperatorAccess
    | OperatorPortability
    | OperatorRectification
    | OperatorRestriction
    | OperatorObjection
    | OperatorErasure,
    Field(discriminator="type"),
]

AnyBody = (
    AccessBody | PortabilityBody | RectificationBody | RestrictionBody | ObjectionBody | ErasureBody
)
