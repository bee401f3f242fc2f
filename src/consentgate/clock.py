"""Time as the library keeps it: UTC, stored and compared as integer microseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = ["age_on", "from_micros", "rfc3339", "to_micros", "utc_now", "ymd"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch; naive datetimes are refused (no guessing of zones)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def ymd(day: date) -> int:
    """A date as the integer YYYYMMDD: ``ymd(today) - ymd(birth) >= age * 10000`` iff the
    person has had their ``age``-th birthday (the rule Cedar evaluates the same way)."""
    return day.year * 10000 + day.month * 100 + day.day


def age_on(birth: date, day: date) -> int:
    """Completed years of life on ``day`` (the same rule as the ``ymd`` arithmetic)."""
    return (ymd(day) - ymd(birth)) // 10000


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as RFC 3339 with ``Z``: ``2019-02-28T10:00:00Z`` (microseconds
    appear only when there are some); naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
