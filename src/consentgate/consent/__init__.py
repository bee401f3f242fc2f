"""Consents (a room; tables ``consents`` and ``consent_events``): grants, withdrawals,
renewals, expiry, receipts. ``requests`` holds what is asked, ``records`` what is kept,
``live`` the live-consent rule, ``store``/``memory`` where it is kept, ``grants`` the
lifecycle, ``receipts`` the signed Kantara receipts."""

from consentgate.consent.grants import (
    consent_history,
    daily_activity,
    get_consent,
    grant_consent,
    list_consents,
    live_consents,
    renew_consent,
    withdraw_all,
    withdraw_consent,
)
from consentgate.consent.memory import MemoryConsentStore
from consentgate.consent.receipts import ReceiptSigner
from consentgate.consent.records import Consent, ConsentEvent, LiveSubject
from consentgate.consent.requests import GrantRequest, ParentalConsent
from consentgate.consent.store import ConsentStore, SqlConsentStore
from consentgate.settings.consent import ConsentPolicy

__all__ = [
    "Consent",
    "ConsentEvent",
    "ConsentPolicy",
    "ConsentStore",
    "GrantRequest",
    "LiveSubject",
    "MemoryConsentStore",
    "ParentalConsent",
    "ReceiptSigner",
    "SqlConsentStore",
    "consent_history",
    "daily_activity",
    "get_consent",
    "grant_consent",
    "list_consents",
    "live_consents",
    "renew_consent",
    "withdraw_all",
    "withdraw_consent",
]
