"""What a data subject (or the CLI on their behalf) asks for: a grant. Parental evidence
(``parental_consent``) is for the library's callers (the CLI); over HTTP a minor's consent
is given by a guardian (``POST /v1/me/wards/{id}/consents``) and ``parental_consent`` in a
person's own request is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

__all__ = ["GrantRequest", "ParentalConsent"]


class ParentalConsent(BaseModel):
    """Evidence that a holder of parental responsibility gave or authorised consent (Art. 8)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    guardian_name: Annotated[str, Field(min_length=1, max_length=200)]
    guardian_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
    method: Annotated[str, Field(min_length=1, max_length=100)]
    verified_at: datetime


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: Annotated[str, Field(min_length=1, max_length=64)]
    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    fields: Annotated[list[str], Field(min_length=1, max_length=64)]
    explicit: StrictBool = False  # a JSON boolean: "yes", 1, "on" are refused
    parental_consent: ParentalConsent | None = None
    notice_version: Annotated[str, Field(min_length=1, max_length=64)] = "1"
