"""The erasure primitive: append an erasure leaf, then destroy the subject's pseudonym key
and the rows that would link their leaves back to them (their consents and consent history,
whose ids appear in leaves, and their place in incident subject lists). Afterwards every
proof still verifies and no stored row links the subject's platform id to a leaf.

The full erasure workflow (notice to every recipient first, Art. 17(2) and 19) comes with
the rights issue; this is the last step of it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from consentgate.clock import to_micros, utc_now
from consentgate.ledger.leaves import Entry
from consentgate.ledger.store import SqlLedger
from consentgate.storage.tables import consent_events, consents, incident_subjects

__all__ = ["ShredResult", "shred_subject"]


@dataclass(frozen=True)
class ShredResult:
    erasure_leaf: int | None
    consents_erased: int


def shred_subject(
    ledger: SqlLedger, subject_id: str, *, now: datetime | None = None
) -> ShredResult:
    moment = to_micros(now or utc_now())
    with ledger.db.begin() as connection:
        bound = ledger.bound(connection)
        leaf = None
        if bound.subject_pseudonym(subject_id) is not None:
            [leaf] = bound.append(
                [
                    Entry(
                        subject_id=subject_id,
                        app_id="app_platform",
                        fields=(),
                        purpose="erasure",
                        basis="gdpr-art17",
                        consent_id="",
                        request_id="req_erasure_" + secrets.token_urlsafe(9),
                        at_us=moment,
                        kind="erasure",
                    )
                ],
            )
            bound.shred(subject_id)
        ids = select(consents.c.id).where(consents.c.subject_id == subject_id)
        connection.execute(delete(consent_events).where(consent_events.c.consent_id.in_(ids)))
        erased = connection.execute(delete(consents).where(consents.c.subject_id == subject_id))
        connection.execute(
            delete(incident_subjects).where(incident_subjects.c.subject_id == subject_id)
        )
    ledger.integrate()
    return ShredResult(leaf, erased.rowcount)
