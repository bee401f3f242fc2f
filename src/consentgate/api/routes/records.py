"""The records of processing activities (GDPR Art. 30), generated from live configuration
and the ledger: JSON, or CSV with ``format=csv`` (operators)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from consentgate import breach
from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.authz import Action, Actor
from consentgate.clock import utc_now

__all__ = ["router"]

router = APIRouter(prefix="/v1/records-of-processing", tags=["records of processing"])

Reader = Annotated[Actor, Depends(operator_may(Action.RECORDS_READ))]


class RecordPublic(BaseModel):
    app_id: str
    app_name: str | None
    app_status: str | None
    controller: dict[str, str] | None = None
    purpose: dict[str, str | None]
    legal_basis: dict[str, str | None] | None = None
    data_subjects: str | None = None
    data_categories: list[dict[str, Any]] = []
    recipient: dict[str, Any] | None = None
    retention_days: int | None = None
    fields_declared: list[str] = []
    fields_disclosed_90d: list[str]
    disclosures_90d: int
    subjects_90d: int
    declared_not_used: list[str]
    used_not_declared: list[str]


class RecordsPublic(BaseModel):
    generated_at: str
    article: str
    controller: dict[str, str]
    dpo: dict[str, str]
    observed_from: str
    observed_days: int
    engine: str
    data: list[RecordPublic]


@router.get(
    "",
    response_model=RecordsPublic,
    summary="The records of processing (Art. 30): a row per app and purpose",
    responses={200: {"content": {"text/csv": {}}}},
    dependencies=[Depends(strict_query("format"))],
)
def records(
    runtime: RuntimeDep,
    _: Reader,
    format: Literal["json", "csv"] = "json",
) -> Any:
    register = breach.records_of_processing(
        apps=runtime.stores.apps,
        ledger=runtime.stores.ledger,
        engine=runtime.breach_context.engine,
        catalog=runtime.catalog,
        policy=runtime.breach_context.policy,
        now=utc_now(),
    )
    if format == "csv":
        return PlainTextResponse(breach.records_csv(register), media_type="text/csv; charset=utf-8")
    return register
