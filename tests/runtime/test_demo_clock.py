"""The demo clock (``CONSENTGATE_DEMO_CLOCK``): honoured in demo mode only — any other
start refuses it, naming the variable — it starts the library's one clock at that instant
and lets it run on, and closing the runtime puts the real time back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from consentgate.clock import clock_offset, utc_now
from consentgate.errors import InvalidInput
from consentgate.runtime import open_runtime
from consentgate.settings import load_settings

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
