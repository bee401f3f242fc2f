"""Erasure (GDPR Art. 17), the part that exists today: one transaction across every owner of
something that links the person to what was disclosed —

1. the ledger appends an erasure leaf to the person's chain (what happened stays provable);
2. the consent room deletes their consents and consent history (whose ids appear in leaves);
3. breach takes them off every incident's and breach's list of people (the counts stay);
4. the ledger shreds their pseudonym key (I5): their leaves become unlinkable, and every
   proof still verifies.

All four or none. The full workflow — the request, a notice to every recipient first
(Art. 17(2), 19), erasure from the source — completes it with the rights issue.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from consentgate.clock import to_micros, utc_now
from consentgate.ledger import Entry
from consentgate.stores import Stores

__all__ = ["ERASURE_APP", "ShredResult", "shred_subject"]

# the ledger's name for consentgate itself, the party that records an erasure
ERASURE_APP = "app_platform"


@dataclass(frozen=True)
class ShredResult:
    erasure_leaf: int | None  # None: the person had never been disclosed
    consents_erased: int


def shred_subject(stores: Stores, subject_id: str, *, now: datetime | None = None) -> ShredResult:
    moment = to_micros(now or utc_now())
    with stores.transaction() as tx:
        leaf = None
        if tx.ledger.subject_pseudonym(subject_id) is not None:
            [leaf] = tx.ledger.append(
                [
                    Entry(
                        subject_id=subject_id,
                        app_id=ERASURE_APP,
                        fields=(),
                        purpose="erasure",
                        basis="gdpr-art17",
                        consent_id="",
                        request_id="req_erasure_" + secrets.token_urlsafe(9),
                        at_us=moment,
                        kind="erasure",
                    )
                ]
            )
        erased = tx.consents.erase_subject(subject_id)
        tx.incidents.forget_subject(subject_id)
        tx.breaches.forget_subject(subject_id)
        if leaf is not None:
            tx.ledger.shred(subject_id)
    stores.ledger.integrate()  # a checkpoint covers the erasure leaf at once
    return ShredResult(leaf, erased)
