"""Time helpers: ages by calendar, as the decision and the Cedar rule count them; and the
demo clock (``CONSENTGATE_DEMO_CLOCK``): honoured in demo mode only — any other start
refuses it, naming the variable — it starts the library's one clock at that instant and
lets it run on, and closing the runtime puts the real time back."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from consentgate.clock import age_on, clock_offset, from_micros, rfc3339, to_micros, utc_now
from consentgate.errors import InvalidInput
from consentgate.runtime import open_runtime
from consentgate.settings import load_settings


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2010, 11, 27), date(2026, 11, 27), 16),
        (date(2010, 11, 28), date(2026, 11, 27), 15),
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
        (date(2008, 2, 29), date(2025, 3, 1), 17),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_micros_round_trip_and_refuse_naive_times() -> None:
    moment = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
    assert from_micros(to_micros(moment)) == moment
    with pytest.raises(ValueError, match="naive"):
        to_micros(datetime(2026, 11, 27))


def test_rfc3339_is_utc_with_z() -> None:
    assert rfc3339(datetime(2019, 2, 28, 10, 0, tzinfo=UTC)) == "2019-02-28T10:00:00Z"
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2019, 2, 28, 1, 0, 0, 5, tzinfo=plus_two)) == (
        "2019-02-27T23:00:00.000005Z"
    )
    with pytest.raises(ValueError, match="naive"):
        rfc3339(datetime(2019, 2, 28))


START = datetime(2019, 4, 15, 9, 0, tzinfo=UTC)


def test_outside_demo_mode_the_demo_clock_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTGATE_DEMO_CLOCK", "2019-04-15T09:00:00Z")
    monkeypatch.delenv("CONSENTGATE_DEMO", raising=False)
    with pytest.raises(InvalidInput, match="CONSENTGATE_DEMO_CLOCK: is honoured only in demo"):
        load_settings()
    monkeypatch.setenv("CONSENTGATE_DEMO", "off")
    with pytest.raises(InvalidInput, match="CONSENTGATE_DEMO_CLOCK"):
        load_settings()


def test_a_demo_clock_needs_a_time_zone() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        load_settings(demo=True, demo_clock=datetime(2019, 4, 15, 9, 0))


def test_in_demo_mode_the_clock_starts_there_and_runs_on(tmp_path: Path) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'c.db'}", demo=True, demo_clock=START
    )
    runtime = open_runtime(settings)
    try:
        first = utc_now()
        assert abs(first - START) < timedelta(seconds=5)
        time.sleep(0.01)
        assert utc_now() > first  # it runs on
    finally:
        runtime.close()
    assert clock_offset() == timedelta(0)
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=1)
