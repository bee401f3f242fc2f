"""When a rights request must be answered: receipt plus the catalog's period for the
subject's country (GDPR Art. 12(3): one month, extendable once by two more; CCPA: 45 days,
once 45 more), as pure functions over aware datetimes — no clock, no I/O.

A calendar month after a moment is the same day number in the next month at the same time
of day, else that month's last day (31 January + 1 month = 28 February, or 29 in a leap
year). Everything is computed and returned in UTC. An extension counts from receipt
(``period + by`` after it), so a month end on the way never shortens it.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from consentgate.catalog import Catalog, DeadlineSpec
from consentgate.errors import InvalidInput

__all__ = ["add_months", "due_at", "extended_due_at"]


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months: the same day number, else the last day of
    the month reached; the time of day and the zone are kept."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due_at(received_at: datetime, *, country: str | None, catalog: Catalog) -> datetime:
    """When a request received at ``received_at`` from a subject of ``country`` (None:
    unknown, the catalog's default row) must be answered, in UTC."""
    spec = catalog.deadline(country)
    return _after(_utc(received_at), spec, spec.period)


def extended_due_at(
    received_at: datetime,
    *,
    country: str | None,
    catalog: Catalog,
    by: int | None = None,
) -> datetime:
    """The deadline after the one extension the catalog allows: ``by`` more months or days
    (the row's unit; None takes the whole ``extendable_by``). Raises ``InvalidInput`` when
    ``by`` is below 1 or beyond what the row allows, or the row allows no extension."""
    spec = catalog.deadline(country)
    amount = spec.extendable_by if by is None else by
    if spec.extendable_by == 0:
        raise InvalidInput("this request's deadline cannot be extended (extendable_by = 0)")
    if not 1 <= amount <= spec.extendable_by:
        raise InvalidInput(
            f"an extension of {amount} {spec.unit} is not allowed: "
            f"extend by 1 to {spec.extendable_by} {spec.unit}"
        )
    return _after(_utc(received_at), spec, spec.period + amount)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return moment.astimezone(UTC)


def _after(moment: datetime, spec: DeadlineSpec, amount: int) -> datetime:
    if spec.unit == "months":
        return add_months(moment, amount)
    return moment + timedelta(days=amount)
