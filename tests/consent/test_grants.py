"""Consents on both databases: refusals, receipts, withdrawal, renewal, expiry, history."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, update

from consentgate.apps import suspend_app
from consentgate.catalog import Catalog
from consentgate.consent import (
    ConsentPolicy,
    ReceiptSigner,
    consent_history,
    daily_activity,
    grant_consent,
    list_consents,
    live_consents,
    renew_consent,
    withdraw_all,
    withdraw_consent,
)
from consentgate.errors import (
    AppNotFound,
    ConsentNotFound,
    GrantRefused,
    InvalidInput,
    InvalidTransition,
    SubjectNotFound,
    UnknownField,
    UnknownPurpose,
)
from consentgate.gateway import evaluate_access
from consentgate.policy import Reason
from consentgate.sources.synthetic import PlatformSource
from consentgate.storage.tables import consent_events
from consentgate.stores import Stores
from tests.support import NOW, OPERATOR

PARENT = {
    "guardian_name": "A Parent",
    "guardian_email": "parent@example.org",
    "method": "credit-card check",
    "verified_at": NOW.isoformat(),
}


def _grant(stores, catalog, source, signer, subject, request, now=NOW, ttl=90):  # type: ignore[no-untyped-def]
    return grant_consent(
        stores.consents,
        apps=stores.apps,
        catalog=catalog,
        source=source,
        signer=signer,
        subject_id=subject,
        request=request,
        policy=ConsentPolicy(ttl_days=ttl),
        now=now,
    )


def test_grant_yields_a_signed_kantara_receipt(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {
        "app_id": approved_app_id,
        "purpose": "academic_research",
        "fields": ["name", "religion"],
        "explicit": True,
        "notice_version": "2026-11",
    }
    consent = _grant(stores, catalog, source, signer, adult_id, request)
    assert consent.expires_at == NOW + timedelta(days=90)
    claims = signer.verify(consent.receipt)
    for key in (
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "language",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
    ):
        assert key in claims
    assert claims["version"] == "KI-CR-v1.1.0"
    assert claims["consentReceiptID"] == consent.id
    assert claims["piiPrincipalId"] == adult_id
    assert claims["sensitive"] is True
    assert claims["spiCat"] == ["religious_or_philosophical_beliefs"]
    purpose = claims["services"][0]["purposes"][0]
    assert purpose["piiCategory"] == ["name", "religion"]
    assert purpose["thirdPartyDisclosure"] is True
    assert purpose["purposeCategory"] == ["https://w3id.org/dpv#AcademicResearch"]
    assert jwt.get_unverified_header(consent.receipt)["alg"] == "EdDSA"
    tampered = consent.receipt[:-4] + ("AAAA" if not consent.receipt.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidTokenError):
        signer.verify(tampered)
    other = ReceiptSigner(kid=signer.kid, private_key=Ed25519PrivateKey.generate())
    with pytest.raises(jwt.InvalidTokenError):
        other.verify(consent.receipt)


@pytest.mark.parametrize(
    ("request_change", "reason"),
    [
        ({"fields": ["messages"]}, Reason.FIELD_FORBIDDEN),
        ({"fields": ["email"]}, Reason.FIELD_NOT_APPROVED),
        ({"purpose": "personalised_advertising"}, Reason.PURPOSE_NOT_DECLARED),
        ({"fields": ["political_views"]}, Reason.EXPLICIT_CONSENT_REQUIRED),
    ],
)
def test_grants_that_could_never_be_valid_are_refused(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
    request_change: dict[str, object],
    reason: Reason,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "academic_research", "fields": ["name"]}
    with pytest.raises(GrantRefused) as caught:
        _grant(stores, catalog, source, signer, adult_id, request | request_change)
    assert caught.value.reason is reason
    assert caught.value.http_status == 403
    assert list_consents(stores.consents, subject_id=adult_id, app_id=approved_app_id) == []


def test_minors_need_parental_consent(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    minor_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    with pytest.raises(GrantRefused) as caught:
        _grant(stores, catalog, source, signer, minor_id, request)
    assert caught.value.reason is Reason.PARENTAL_CONSENT_REQUIRED
    consent = _grant(
        stores, catalog, source, signer, minor_id, request | {"parental_consent": PARENT}
    )
    assert consent.parental_consent is not None
    assert consent.parental_consent["method"] == "credit-card check"
    assert signer.verify(consent.receipt)["consentgate"]["parental_consent"] is True


def test_grants_to_unknown_or_suspended_apps_and_unknown_subjects(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    with pytest.raises(AppNotFound):
        _grant(stores, catalog, source, signer, adult_id, request | {"app_id": "app_nope"})
    with pytest.raises(SubjectNotFound):
        _grant(stores, catalog, source, signer, "no-such-subject", request)
    with pytest.raises(UnknownField):
        _grant(stores, catalog, source, signer, adult_id, request | {"fields": ["shoe_size"]})
    with pytest.raises(UnknownPurpose):
        _grant(stores, catalog, source, signer, adult_id, request | {"purpose": "x"})
    with pytest.raises(InvalidInput):
        _grant(stores, catalog, source, signer, adult_id, request | {"fields": []})
    with pytest.raises(InvalidInput):
        _grant(stores, catalog, source, signer, adult_id, request | {"surprise": True})
    suspend_app(stores.apps, approved_app_id, reason="investigation", actor=OPERATOR)
    with pytest.raises(GrantRefused) as caught:
        _grant(stores, catalog, source, signer, adult_id, request)
    assert caught.value.reason is Reason.APP_SUSPENDED


def test_withdraw_takes_effect_at_once_and_is_as_easy_as_granting(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    consent = _grant(stores, catalog, source, signer, adult_id, request)
    read = {
        "catalog": catalog,
        "source": source,
        "app_id": approved_app_id,
        "subject_id": adult_id,
        "purpose": "analytics",
        "fields": ["name"],
    }
    assert evaluate_access(stores, **read, now=NOW + timedelta(hours=1)).allowed == ("name",)
    withdrawn_at = NOW + timedelta(hours=2)
    withdraw_consent(stores.consents, subject_id=adult_id, consent_id=consent.id, now=withdrawn_at)
    assert evaluate_access(stores, **read, now=withdrawn_at).reason is Reason.NO_CONSENT
    with pytest.raises(InvalidTransition):
        withdraw_consent(stores.consents, subject_id=adult_id, consent_id=consent.id)
    with pytest.raises(InvalidTransition, match="grant a new consent"):
        renew_consent(
            stores.consents,
            apps=stores.apps,
            catalog=catalog,
            source=source,
            subject_id=adult_id,
            consent_id=consent.id,
        )


def test_withdraw_all_withdraws_every_live_consent_and_only_the_persons(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    later = NOW + timedelta(days=2)
    earlier = {c.id for c in live_consents(stores.consents, subject_id=adult_id, now=later)}
    first = _grant(stores, catalog, source, signer, adult_id, request)
    second = _grant(stores, catalog, source, signer, adult_id, request | {"fields": ["birthday"]})
    gone = _grant(stores, catalog, source, signer, adult_id, request, ttl=1)  # expired by then
    live = [c.id for c in live_consents(stores.consents, subject_id=adult_id, now=later)]
    assert live == sorted(live)
    assert set(live) == earlier | {first.id, second.id}
    other = next(s for s in ("2", "3", "4", "5") if s != adult_id)
    others = {c.id for c in live_consents(stores.consents, subject_id=other, now=later)}
    withdrawn = withdraw_all(stores.consents, subject_id=adult_id, now=later)
    assert {c.id for c in withdrawn} == earlier | {first.id, second.id}
    assert live_consents(stores.consents, subject_id=adult_id, now=later) == []
    assert withdraw_all(stores.consents, subject_id=adult_id, now=later) == []
    assert {c.id for c in live_consents(stores.consents, subject_id=other, now=later)} == others
    expired = [c for c in list_consents(stores.consents, subject_id=adult_id) if c.id == gone.id]
    assert expired[0].withdrawn_at is None  # an expired consent is left as it is


def test_daily_activity_counts_grants_and_withdrawals_on_their_days(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    days = {"since": NOW.date() - timedelta(days=3), "until": NOW.date() + timedelta(days=3)}
    before = daily_activity(stores.consents, **days)
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    kept = _grant(stores, catalog, source, signer, adult_id, request)
    gone = _grant(stores, catalog, source, signer, adult_id, request, now=NOW + timedelta(days=1))
    withdraw_consent(
        stores.consents, subject_id=adult_id, consent_id=gone.id, now=NOW + timedelta(days=2)
    )
    after = daily_activity(stores.consents, **days)
    moved = {
        kind: {
            day: n - before[kind].get(day, 0)
            for day, n in after[kind].items()
            if n != before[kind].get(day, 0)
        }
        for kind in ("granted", "withdrawn")
    }
    assert moved == {
        "granted": {kept.granted_at.date(): 1, gone.granted_at.date(): 1},
        "withdrawn": {(NOW + timedelta(days=2)).date(): 1},
    }
    assert all(days["since"] <= d <= days["until"] for k in after for d in after[k])


def test_someone_elses_consent_cannot_be_withdrawn_or_renewed(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    consent = _grant(stores, catalog, source, signer, adult_id, request)
    with pytest.raises(ConsentNotFound):
        withdraw_consent(stores.consents, subject_id="2", consent_id=consent.id)
    with pytest.raises(ConsentNotFound):
        renew_consent(
            stores.consents,
            apps=stores.apps,
            catalog=catalog,
            source=source,
            subject_id="2",
            consent_id=consent.id,
        )
    with pytest.raises(ConsentNotFound):
        withdraw_consent(stores.consents, subject_id=adult_id, consent_id="cns_unknown")


def test_expiry_after_the_ttl_and_renewal_restarts_it(
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["birthday"]}
    consent = _grant(stores, catalog, source, signer, adult_id, request, ttl=30)
    read = {
        "catalog": catalog,
        "source": source,
        "app_id": approved_app_id,
        "subject_id": adult_id,
        "purpose": "analytics",
        "fields": ["birthday"],
    }
    assert evaluate_access(stores, **read, now=NOW + timedelta(days=30)).reason is (
        Reason.CONSENT_EXPIRED
    )
    renewed_at = NOW + timedelta(days=40)
    renewed = renew_consent(
        stores.consents,
        apps=stores.apps,
        catalog=catalog,
        source=source,
        subject_id=adult_id,
        consent_id=consent.id,
        policy=ConsentPolicy(ttl_days=30),
        now=renewed_at,
    )
    assert renewed.renewed_at == renewed_at
    assert renewed.expires_at == renewed_at + timedelta(days=30)
    assert evaluate_access(stores, **read, now=renewed_at).allowed == ("birthday",)
    events = [(e.event, e.at) for e in consent_history(stores.consents, consent_id=consent.id)]
    assert events == [("granted", NOW), ("renewed", renewed_at)]


def test_history_is_append_only_and_lists_filter(
    engine: Engine,
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    adult_id: str,
    approved_app_id: str,
) -> None:
    request = {"app_id": approved_app_id, "purpose": "analytics", "fields": ["name"]}
    first = _grant(stores, catalog, source, signer, adult_id, request)
    second = _grant(stores, catalog, source, signer, adult_id, request)
    withdraw_consent(stores.consents, subject_id=adult_id, consent_id=first.id, now=NOW)
    listed = list_consents(stores.consents, subject_id=adult_id, app_id=approved_app_id)
    assert {c.id for c in listed} == {first.id, second.id}
    assert [e.event for e in consent_history(stores.consents, consent_id=first.id)] == [
        "granted",
        "withdrawn",
    ]
    # the history has no update path in the library; a grant appends, never rewrites
    with engine.begin() as connection:
        rows = connection.execute(
            update(consent_events)
            .where(consent_events.c.consent_id == "nothing-matches")
            .values(event="x")
        ).rowcount
    assert rows == 0
