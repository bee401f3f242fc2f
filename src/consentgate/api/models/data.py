"""What an app reads (``routes/data.py``): a subject's record filtered by their own consent,
a page of consenting friends, the subjects with live consent (app-scoped ids only)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from consentgate.api.models.base import Public
from consentgate.api.paging import Page
from consentgate.policy import Reason

__all__ = ["FriendsPublic", "ScopedSubjectPublic", "SubjectRecordPublic"]


class SubjectRecordPublic(Public):
    id: str = Field(description="The app-scoped subject id")
    data: dict[str, Any] = Field(description="The released fields and their values")
    withheld: dict[str, Reason] = Field(description="Every requested field not released")


class FriendsPublic(Page[SubjectRecordPublic]):
    id: str = Field(description="The app-scoped id of the subject whose friends these are")


class ScopedSubjectPublic(Public):
    id: str = Field(description="The app-scoped subject id")
    purposes: list[str]
