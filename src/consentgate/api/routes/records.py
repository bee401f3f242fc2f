"""The records of processing activities (GDPR Art. 30), generated from live configuration
and the ledger: JSON, or CSV with ``format=csv`` (operators)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from consentgate import breach
from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.records import RecordsPublic
from consentgate.authz import Action, Actor
from consentgate.clock import utc_now

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/records-of-processing", tags=["records of processing"], responses=ERROR_RESPONSES
)

Reader = Annotated[Actor, Depends(operator_may(Action.RECORDS_READ))]


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
