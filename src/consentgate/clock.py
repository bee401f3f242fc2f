"""Time as the library keeps it: UTC, stored and compared as integer microseconds.

``utc_now`` is the one clock every part of the library reads. A demo (never production:
``Settings`` refuses it outside demo mode) may start it at another instant with
``start_clock_at`` — ``CONSENTGATE_DEMO_CLOCK``, so a simulation can run inside the 2019
election window; time then runs on at its normal pace from there. The shift is
process-wide; ``reset_clock`` (``Runtime.close``) undoes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = [
    "age_on",
    "clock_offset",
    "from_micros",
    "reset_clock",
    "rfc3339",
    "start_clock_at",
    "to_micros",
    "utc_now",
    "ymd",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_ZERO = timedelta(0)
_offset = _ZERO


def utc_now() -> datetime:
    return datetime.now(UTC) + _offset if _offset else datetime.now(UTC)


def start_clock_at(moment: datetime) -> timedelta:
    """Make ``utc_now`` read ``moment`` now and run on from there (demo mode only: the
    composition root checks). Returns the offset it replaced, for ``reset_clock``."""
    global _offset
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    previous = _offset
    _offset = moment - datetime.now(UTC)
    return previous


def reset_clock(offset: timedelta = _ZERO) -> None:
    """Put the clock back (to the real time, or to an offset ``start_clock_at`` returned)."""
    global _offset
    _offset = offset


def clock_offset() -> timedelta:
    """How far ``utc_now`` is from the real time (zero unless a demo clock is set)."""
    return _offset


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
