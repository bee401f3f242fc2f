"""Public, for apps' own consent screens (no authentication; nothing about people):
``GET /v1/catalog`` — the fields with their categories and the purposes with their DPV
terms and labels — and ``GET /v1/apps/{app_id}/profile`` — an approved app's name,
developer, purposes and approved fields with their justifications (any other app, or none,
is 404 alike)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from consentgate.api.deps import RuntimeDep, strict_query
from consentgate.api.models.catalog import AppProfilePublic, CatalogPublic
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.errors import AppNotFound
from consentgate.policy import AppStatus

__all__ = ["router"]

router = APIRouter(tags=["catalog (public)"], responses=ERROR_RESPONSES)
NoQuery = [Depends(strict_query())]
AppPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/v1/catalog",
    response_model=CatalogPublic,
    summary="The fields and purposes (DPV ids and labels)",
    dependencies=NoQuery,
)
def catalog(runtime: RuntimeDep) -> dict[str, Any]:
    found = runtime.catalog
    return {
        "version": found.version,
        "fields": [
            {
                "name": name,
                "category": spec.category,
                "special_category": spec.special_category,
                "forbidden_to_third_parties": spec.forbidden_to_third_parties,
            }
            for name, spec in found.fields.items()
        ],
        "purposes": [
            {
                "id": name,
                "label": spec.label,
                "dpv": spec.dpv,
                "legal_basis": spec.legal_basis,
                "explicit_required": spec.explicit_required,
            }
            for name, spec in found.purposes.items()
        ],
    }


@router.get(
    "/v1/apps/{app_id}/profile",
    response_model=AppProfilePublic,
    summary="An approved app's public profile, for a consent screen",
    dependencies=NoQuery,
)
def profile(app_id: AppPath, runtime: RuntimeDep) -> dict[str, Any]:
    app = runtime.stores.apps.get(app_id)
    if app is None or app.status != AppStatus.APPROVED:
        raise AppNotFound(app_id)
    return {
        "id": app.id,
        "name": app.name,
        "developer": {"name": app.developer.name, "country": app.developer.country},
        "purposes": list(app.purposes),
        "fields": {name: app.fields_requested.get(name, "") for name in app.fields_approved},
        "retention_days": app.retention_days,
        "privacy_policy_url": app.privacy_policy_url,
    }
