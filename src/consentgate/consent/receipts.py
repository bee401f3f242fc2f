"""Consent receipts: the Kantara Consent Receipt v1.1 field set, signed as a JWS (EdDSA,
Ed25519). The signing key is generated on first use and kept in ``signing_keys``; its public
half is published as a JWK so anyone holding a receipt can verify it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from consentgate.storage.database import Database
from consentgate.storage.keys import ed25519_key

__all__ = ["RECEIPT_VERSION", "ReceiptSigner"]

RECEIPT_VERSION = "KI-CR-v1.1.0"
_USE = "consent-receipt"


@dataclass(frozen=True)
class ReceiptSigner:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @classmethod
    def load_or_create(cls, db: Database) -> ReceiptSigner:
        """The newest receipt key in the database, creating one when there is none."""
        kid, key = ed25519_key(db, _USE, prefix="rk_")
        return cls(kid=kid, private_key=key)

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any]:
        """The receipt's claims if this key signed it; raises ``jwt.InvalidTokenError`` if not."""
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self.kid:
            raise jwt.InvalidTokenError("receipt was signed with another key")
        claims: dict[str, Any] = jwt.decode(
            token, self.public_key, algorithms=["EdDSA"], options={"verify_aud": False}
        )
        return claims

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.public_key, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        return jwk


def kantara_receipt(
    *,
    consent_id: str,
    subject_id: str,
    app_id: str,
    app_name: str,
    developer_name: str,
    policy_url: str,
    purpose_label: str,
    purpose_dpv: str,
    fields: list[str],
    special_categories: list[str],
    explicit: bool,
    parental: bool,
    notice_version: str,
    granted_at: datetime,
    expires_at: datetime,
    controller_name: str,
    controller_email: str,
    jurisdiction: str,
    recorded_by: str | None = None,
) -> dict[str, Any]:
    """The Kantara CR v1.1 claims of one grant, plus consentgate's own extension claims.
    ``recorded_by`` (an ``Actor.ref``) says the grant was recorded by someone other than
    the person — an operator at the command line — and the receipt says so."""
    method = (
        "consentgate API: affirmative grant by the data subject"
        if recorded_by is None
        else f"recorded by an operator ({recorded_by}) on the data subject's behalf, "
        "not given by the data subject through consentgate"
    )
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": int(granted_at.timestamp()),
        "collectionMethod": method,
        "consentReceiptID": consent_id,
        "language": "en",
        "piiPrincipalId": subject_id,
        "piiControllers": [
            {
                "piiController": controller_name,
                "onBehalf": False,
                "contact": "Data Protection Officer",
                "address": "",
                "email": controller_email,
                "phone": "",
                "piiControllerUrl": "",
            }
        ],
        "policyUrl": policy_url,
        "services": [
            {
                "service": app_name,
                "purposes": [
                    {
                        "purpose": purpose_label,
                        "purposeCategory": [purpose_dpv],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(fields),
                        "primaryPurpose": True,
                        "termination": (
                            f"expires {expires_at.isoformat()} unless renewed; "
                            "withdraw at any time, as easily as it was given"
                        ),
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": developer_name,
                    }
                ],
            }
        ],
        "sensitive": bool(special_categories),
        "spiCat": list(special_categories),
        "iat": int(granted_at.timestamp()),
        "consentgate": {
            "app_id": app_id,
            "art9_explicit": explicit,
            "parental_consent": parental,
            "notice_version": notice_version,
            "expires_at": expires_at.isoformat(),
            "recorded_by": recorded_by or "subject",
        },
    }
