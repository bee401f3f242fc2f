"""The political transparency register's JSON body (``routes/transparency.py``); its CSV
form is ``text/csv``."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Hex, Public
from consentgate.api.paging import Paging

__all__ = ["CheckpointRefPublic", "PartyPublic", "PoliticalRegisterPublic", "RegisterEntryPublic"]


class PartyPublic(Public):
    """A developer or a sponsor as the register names them: no contact address."""

    name: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class CheckpointRefPublic(Public):
    size: int = Field(description="The tree size the counts are made up to")
    root: Hex = Field(description="The root hash of the tree of that size, hex")


class RegisterEntryPublic(Public):
    app_id: str
    name: str
    developer: PartyPublic
    sponsor: PartyPublic | None
    purposes: list[str]
    fields: list[str] = Field(description="The fields approved at review")
    countries: dict[str, int | None] = Field(
        description="Distinct people reached per country (ZZ: unknown); null below "
        "min_cell_size, or where the total would give a hidden count away"
    )
    people: int | None = Field(description="Distinct people reached; null below min_cell_size")


class PoliticalRegisterPublic(Public):
    data: list[RegisterEntryPublic]
    checkpoint: CheckpointRefPublic
    min_cell_size: int
    paging: Paging
