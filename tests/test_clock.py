"""Time helpers: ages by calendar, as the decision and the Cedar rule count them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from consentgate.clock import age_on, from_micros, rfc3339, to_micros


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
