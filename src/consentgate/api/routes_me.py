"""Data-subject endpoints: my consents and my disclosures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from consentgate.api.deps import CurrentSubject, ServicesDep, strict_query
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position, page
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
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"consents:{subject}"
    after = cursor_position(services.sealer, scope, cursor)
    found = list_consents(services.runtime.engine, subject_id=subject, after=after, limit=limit + 1)
    shown, next_cursor = page(services.sealer, scope, found, limit, lambda c: c.id)
    return {"data": [c.as_dict() for c in shown], "paging": {"next": next_cursor}}


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
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"disclosures:{subject}"
    after = cursor_position(services.sealer, scope, cursor)
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
        found = list(connection.execute(query))
    rows, next_cursor = page(services.sealer, scope, found, limit, lambda r: str(r.seq))
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
    return {
        "data": data,
        "chain_head": None,
        "checkpoint": None,
        "paging": {"next": next_cursor},
    }
