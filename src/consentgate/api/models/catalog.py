"""The public catalog and the public app profile (``routes/catalog.py``): what an app's own
consent screen needs to show, with no credentials and no identifiers of people."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Public

__all__ = ["AppProfilePublic", "CatalogPublic", "DeveloperProfile", "FieldPublic", "PurposePublic"]


class FieldPublic(Public):
    name: str
    category: str = Field(description="The DPV personal-data category (an IRI)")
    special_category: str | None = Field(description="GDPR Art. 9 category, or null")
    forbidden_to_third_parties: bool


class PurposePublic(Public):
    id: str
    label: str
    dpv: str = Field(description="The DPV purpose (an IRI)")
    legal_basis: str
    explicit_required: bool


class CatalogPublic(Public):
    version: str
    fields: list[FieldPublic]
    purposes: list[PurposePublic]


class DeveloperProfile(Public):
    name: str
    country: str


class AppProfilePublic(Public):
    id: str
    name: str
    developer: DeveloperProfile
    purposes: list[str]
    fields: dict[str, str] = Field(description="Each approved field with its justification")
    retention_days: int
    privacy_policy_url: str
