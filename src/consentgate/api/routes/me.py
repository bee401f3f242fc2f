"""Data-subject endpoints: my consents (and a guardian's for a ward) and my disclosures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from consentgate.api.deps import CurrentSubject, RuntimeDep, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.me import ConsentPublic, DisclosurePage
from consentgate.api.paging import CursorQuery, LimitQuery, Page, cursor_position, page
from consentgate.consent import GrantRequest, grant_consent, list_consents, renew_consent
from consentgate.consent import withdraw_consent as withdraw
from consentgate.errors import GrantRefused, InvalidInput
from consentgate.policy import Reason
from consentgate.rights import disclosure_object

router = APIRouter(prefix="/v1/me", tags=["data subject"], responses=ERROR_RESPONSES)
PAGED = [Depends(strict_query("cursor", "limit"))]


@router.post(
    "/consents", status_code=201, response_model=ConsentPublic, summary="Give consent to an app"
)
def grant(body: GrantRequest, subject: CurrentSubject, runtime: RuntimeDep) -> dict[str, Any]:
    if body.parental_consent is not None:  # never self-asserted (Art. 8)
        raise GrantRefused(
            Reason.PARENTAL_CONSENT_REQUIRED,
            "parental consent is given by a guardian with their own token "
            "(POST /v1/me/wards/{subject_id}/consents), never in the person's own request",
        )
    consent = grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject,
        request=body,
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject),
    )
    return consent.as_dict()


@router.post(
    "/wards/{subject_id}/consents",
    status_code=201,
    response_model=ConsentPublic,
    summary="Give a parental consent for a minor I am a guardian of",
)
def grant_for_ward(
    subject_id: Annotated[str, Path(min_length=1, max_length=128)],
    body: GrantRequest,
    guardian: CurrentSubject,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """The same body as a consent; the caller's own subject token is the evidence, and the
    platform must name the caller among the ward's guardians (``Source.guardians``)."""
    consent = grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject_id,
        request=body,
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject_id),
        guardian=guardian,
    )
    return consent.as_dict()


@router.get(
    "/consents", response_model=Page[ConsentPublic], summary="My consents", dependencies=PAGED
)
def consents(
    subject: CurrentSubject,
    runtime: RuntimeDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"consents:{subject}"
    after = cursor_position(runtime.sealer, scope, cursor)
    found = list_consents(runtime.stores.consents, subject_id=subject, after=after, limit=limit + 1)
    shown, next_cursor = page(runtime.sealer, scope, found, limit, lambda c: c.id)
    return {"data": [c.as_dict() for c in shown], "paging": {"next": next_cursor}}


@router.delete(
    "/consents/{consent_id}", status_code=204, summary="Withdraw a consent", response_class=Response
)
def withdraw_consent(consent_id: str, subject: CurrentSubject, runtime: RuntimeDep) -> Response:
    withdraw(runtime.stores.consents, subject_id=subject, consent_id=consent_id)
    return Response(status_code=204)


@router.post(
    "/consents/{consent_id}/renew", response_model=ConsentPublic, summary="Renew a consent"
)
def renew(consent_id: str, subject: CurrentSubject, runtime: RuntimeDep) -> dict[str, Any]:
    return renew_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        subject_id=subject,
        consent_id=consent_id,
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject),
    ).as_dict()


@router.get(
    "/disclosures",
    response_model=DisclosurePage,
    summary="Who received my data, with ledger proofs",
    dependencies=PAGED,
)
def my_disclosures(
    subject: CurrentSubject,
    runtime: RuntimeDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    """Every disclosure of the subject, each with its leaf and an inclusion proof against the
    latest published checkpoint (``proof: null`` while not yet covered), and the chain head:
    walking ``prev`` from the head back to -1 checks that none is missing."""
    scope = f"disclosures:{subject}"
    after = cursor_position(runtime.sealer, scope, cursor)
    if after is not None and not after.isdigit():
        raise InvalidInput("the paging cursor is not valid for this list")
    found = runtime.stores.ledger.disclosures_of(
        subject, after=None if after is None else int(after), limit=limit + 1
    )
    shown, next_cursor = page(runtime.sealer, scope, found.items, limit, lambda d: str(d.index))
    data = [disclosure_object(item, found.checkpoint) for item in shown]
    return {
        "data": data,
        "checkpoint": found.checkpoint,
        "chain_head": found.chain_head,
        "paging": {"next": next_cursor},
    }
