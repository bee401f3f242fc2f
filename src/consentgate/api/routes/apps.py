"""Operator endpoints for the app registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from consentgate import breach
from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.apps import AppCreatedPublic, AppPublic, ClientSecretPublic
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.paging import CursorQuery, LimitQuery, Page, cursor_position, page
from consentgate.apps import (
    AppRegistration,
    approve_app,
    get_app,
    list_apps,
    register_app,
    reject_app,
    rotate_client_secret,
    suspend_app,
)
from consentgate.authz import Action, Actor

router = APIRouter(prefix="/v1/apps", tags=["apps"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(operator_may(Action.APPS_READ))]
Registrar = Annotated[Actor, Depends(operator_may(Action.APPS_REGISTER))]
Approver = Annotated[Actor, Depends(operator_may(Action.APPS_APPROVE))]
Rejecter = Annotated[Actor, Depends(operator_may(Action.APPS_REJECT))]
Suspender = Annotated[Actor, Depends(operator_may(Action.APPS_SUSPEND))]
Reinstater = Annotated[Actor, Depends(operator_may(Action.APPS_REINSTATE))]
SecretRotator = Annotated[Actor, Depends(operator_may(Action.APPS_SECRET_ROTATE))]


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: Annotated[list[str], Field(min_length=1, max_length=64)] | None = None


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class OptionalReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


@router.post(
    "", status_code=201, response_model=AppCreatedPublic, summary="Register an app for review"
)
def register(body: AppRegistration, runtime: RuntimeDep, actor: Registrar) -> dict[str, Any]:
    registered = register_app(runtime.stores.apps, runtime.catalog, body, actor=actor)
    shown = registered.app.as_dict() | {"client_secret": registered.client_secret}
    if registered.notification_secret is not None:  # shown once, like the client secret
        shown["notification_secret"] = registered.notification_secret
    return shown


@router.get(
    "",
    response_model=Page[AppPublic],
    summary="List apps",
    dependencies=[Depends(strict_query("cursor", "limit"))],
)
def list_(
    runtime: RuntimeDep,
    _: Reader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    after = cursor_position(runtime.sealer, "apps", cursor)
    found = list_apps(runtime.stores.apps, after=after, limit=limit + 1)
    shown, next_cursor = page(runtime.sealer, "apps", found, limit, lambda a: a.id)
    return {"data": [a.as_dict() for a in shown], "paging": {"next": next_cursor}}


@router.get("/{app_id}", response_model=AppPublic, summary="One app")
def show(app_id: str, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return get_app(runtime.stores.apps, app_id).as_dict()


@router.post(
    "/{app_id}/approve",
    response_model=AppPublic,
    summary="Approve all requested fields, or a subset",
)
def approve(
    app_id: str, runtime: RuntimeDep, actor: Approver, body: ApproveBody | None = None
) -> dict[str, Any]:
    fields = body.fields if body is not None else None
    approved = approve_app(runtime.stores.apps, runtime.catalog, app_id, fields=fields, actor=actor)
    return approved.as_dict()


@router.post("/{app_id}/reject", response_model=AppPublic, summary="Reject a pending app")
def reject(app_id: str, body: ReasonBody, runtime: RuntimeDep, actor: Rejecter) -> dict[str, Any]:
    apps = runtime.stores.apps
    return reject_app(apps, app_id, reason=body.reason, actor=actor).as_dict()


@router.post(
    "/{app_id}/suspend",
    response_model=AppPublic,
    summary="Suspend an app: its next request is refused",
)
def suspend(app_id: str, body: ReasonBody, runtime: RuntimeDep, actor: Suspender) -> dict[str, Any]:
    apps = runtime.stores.apps
    return suspend_app(apps, app_id, reason=body.reason, actor=actor).as_dict()


@router.post("/{app_id}/reinstate", response_model=AppPublic, summary="Reinstate a suspended app")
def reinstate(
    app_id: str, runtime: RuntimeDep, actor: Reinstater, body: OptionalReasonBody | None = None
) -> dict[str, Any]:
    """Reinstate the app and close its open incidents (one transaction)."""
    reason = body.reason if body is not None else None
    return breach.reinstate(runtime.stores, app_id, actor=actor, reason=reason).as_dict()


@router.post(
    "/{app_id}/secret",
    response_model=ClientSecretPublic,
    summary="Rotate the app's client secret: the old one and its tokens stop working",
)
def rotate_secret(app_id: str, runtime: RuntimeDep, actor: SecretRotator) -> dict[str, Any]:
    rotated = rotate_client_secret(runtime.stores.apps, app_id, actor=actor)
    return {
        "app_id": rotated.app.id,
        "client_id": rotated.app.client_id,
        "client_secret": rotated.client_secret,
    }
