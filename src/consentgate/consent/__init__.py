"""Consents: grants, withdrawals, renewals, expiry, receipts."""

from consentgate.consent.grants import (
    Consent,
    ConsentEvent,
    ConsentPolicy,
    GrantRequest,
    ParentalConsent,
    consent_history,
    get_consent,
    grant_consent,
    list_consents,
    live_consents_by_subject,
    live_consents_for,
    renew_consent,
    withdraw_consent,
)
from consentgate.consent.receipts import ReceiptSigner

__all__ = [
    "Consent",
    "ConsentEvent",
    "ConsentPolicy",
    "GrantRequest",
    "ParentalConsent",
    "ReceiptSigner",
    "consent_history",
    "get_consent",
    "grant_consent",
    "list_consents",
    "live_consents_by_subject",
    "live_consents_for",
    "renew_consent",
    "withdraw_consent",
]
