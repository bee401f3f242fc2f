"""Data-subject endpoints: my consents and my disclosures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from consentgate.api.deps import CurrentSubject, ServicesDep, strict_query
from consentgate.clock import from_micros
from consentgate.consent import GrantRequest, grant_consent, list_consents, renew_consent
from consentgate.consent import withdraw_consent as withdraw
from consentgate.errors import InvalidInput
from consentgate.storage.tables import disclosures

router = APIRouter(prefix="/v1/me", tags=["data subject"])
Paging = [Depends(strict_query("cursor", "limit"))]


@router.post("/consents", status_code=201, summary="Give consent to an app")
def grant(body: GrantRequest, subject: CurrentSubject, services: ServicesDep) -> dict[str, Any]:
    runtime = services.runtime
    consent = grant_consent(
        runtime.engine,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject,
        request=body,
        policy=runtime.consent_policy,
    )
    return consent.as_dict()


@router.get("/consents", summary="My consents", dependencies=Paging)
def consents(
    subject: CurrentSubject,
    services: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    scope = f"consents:{subject}"
    after = _after(services, scope, cursor)
    page = list_consents(services.runtime.engine, subject_id=subject, after=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    next_cursor = services.sealer.cursor(scope, page[-1].id) if more and page else None
    return {"data": [c.as_dict() for c in page], "paging": {"next": next_cursor}}


@router.delete(
    "/consents/{consent_id}", status_code=204, summary="Withdraw a consent", response_class=Response
)
def withdraw_consent(consent_id: str, subject: CurrentSubject, services: ServicesDep) -> Response:
    withdraw(services.runtime.engine, subject_id=subject, consent_id=consent_id)
    return Response(status_code=204)


@router.post("/consents/{consent_id}/renew", summary="Renew a consent")
def renew(consent_id: str, subject: CurrentSubject, services: ServicesDep) -> dict[str, Any]:
    runtime = services.runtime
    return renew_consent(
        runtime.engine,
        catalog=runtime.catalog,
        source=runtime.source,
        subject_id=subject,
        consent_id=consent_id,
        policy=runtime.consent_policy,
    ).as_dict()


@router.get("/disclosures", summary="Who received my data", dependencies=Paging)
def my_disclosures(
    subject: CurrentSubject,
    services: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    scope = f"disclosures:{subject}"
    after = _after(services, scope, cursor)
    query = (
        select(disclosures)
        .where(disclosures.c.subject_id == subject)
        .order_by(disclosures.c.seq)
        .limit(limit + 1)
    )
    if after is not None:
        if not after.isdigit():
            raise InvalidInput("the paging cursor is not valid for this list")
        query = query.where(disclosures.c.seq > int(after))
    with services.runtime.engine.connect() as connection:
        rows = list(connection.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    data = [
        {
            "index": row.seq,
            "app_id": row.app_id,
            "fields": row.fields,
            "purpose": row.purpose,
            "time": from_micros(row.at_us).isoformat(),
            "request_id": row.request_id,
        }
        for row in rows
    ]
    next_cursor = services.sealer.cursor(scope, str(rows[-1].seq)) if more and rows else None
    return {
        "data": data,
        "chain_head": None,
        "checkpoint": None,
        "paging": {"next": next_cursor},
    }


def _after(services: ServicesDep, scope: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    after = services.sealer.position(scope, cursor)
    if after is None:
        raise InvalidInput("the paging cursor is not valid for this list")
    return after
