"""The live-consent rule, written once: a consent is live at ``now`` when it was granted at
or before ``now``, expires after it, and was not withdrawn at or before it — the rule of
``policy.decide``, which owns the decision; here as the SQL and Python conditions the
consent store selects with. The decision loader takes what is not withdrawn (so a refusal
can still say ``CONSENT_EXPIRED``); the app's subject list and the detector's count of
consenting people take what is live."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from consentgate.storage.tables import consents

__all__ = ["is_live", "is_not_withdrawn", "live", "not_withdrawn"]


def not_withdrawn(now_us: Any) -> ColumnElement[bool]:
    """``now_us``: microseconds, or a bound parameter standing for them."""
    return or_(consents.c.withdrawn_us.is_(None), consents.c.withdrawn_us > now_us)


def live(now_us: Any) -> ColumnElement[bool]:
    return and_(
        consents.c.granted_us <= now_us, consents.c.expires_us > now_us, not_withdrawn(now_us)
    )


def is_not_withdrawn(withdrawn_us: int | None, now_us: int) -> bool:
    return withdrawn_us is None or now_us < withdrawn_us


def is_live(*, granted_us: int, expires_us: int, withdrawn_us: int | None, now_us: int) -> bool:
    return granted_us <= now_us < expires_us and is_not_withdrawn(withdrawn_us, now_us)
