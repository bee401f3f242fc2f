"""Time helpers: ages by calendar, as the decision and the Cedar rule count them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from consentgate.clock import age_on, from_micros, to_micros


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
