"""The one error envelope as the OpenAPI documents it: every 4xx and 5xx of every route
outside ``/oauth/token`` (``ERROR_RESPONSES``, given to each router as ``responses=``).
Giving the ``4XX`` range also keeps FastAPI from documenting a 422 that the API never
sends (validation errors are 400 ``BAD_REQUEST``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from consentgate.api.models.base import Public
from consentgate.policy import Reason

__all__ = ["ERROR_RESPONSES", "ErrorEnvelope", "ErrorPublic"]


class ErrorPublic(Public):
    code: str = Field(
        description="A stable code: a decision reason (`NO_CONSENT` ...) or `BAD_REQUEST`, "
        "`UNKNOWN_FIELD`, `UNAUTHENTICATED`, `INVALID_TOKEN`, `FORBIDDEN`, `NOT_FOUND`, "
        "`BODY_TOO_LARGE`, `LEDGER_UNAVAILABLE` ..."
    )
    message: str = Field(description="What failed and what to do; ids and names, never values")
    status: int = Field(description="The HTTP status, repeated")
    withheld: dict[str, Reason] = Field(
        default_factory=dict,
        description="A decision's 403 only: the reason for every requested field",
    )


class ErrorEnvelope(Public):
    error: ErrorPublic


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorEnvelope, "description": "Refused: the one error envelope"},
    "5XX": {"model": ErrorEnvelope, "description": "Unavailable: nothing was released"},
}
