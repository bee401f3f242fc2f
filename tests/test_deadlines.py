"""Rights-request deadlines: calendar months by the table (month ends, leap years, year
ends), days for the US, UTC throughout, the one extension — and the clock moved with
time-machine, as a request received "now" would be dated."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from consentgate.catalog import default_catalog, parse_catalog
from consentgate.clock import rfc3339, utc_now
from consentgate.deadlines import add_months, due_at, extended_due_at
from consentgate.errors import InvalidInput

CATALOG = default_catalog()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# received, country, due, extended by the whole allowance
TABLE = [
    ("2019-05-15T09:30:00Z", "DE", "2019-06-15T09:30:00Z", "2019-08-15T09:30:00Z"),
    ("2019-01-31T10:00:00Z", "DE", "2019-02-28T10:00:00Z", "2019-04-30T10:00:00Z"),
    ("2020-01-31T10:00:00Z", "FR", "2020-02-29T10:00:00Z", "2020-04-30T10:00:00Z"),  # leap
    ("2024-01-30T00:00:00Z", "IE", "2024-02-29T00:00:00Z", "2024-04-30T00:00:00Z"),
    ("2023-01-29T00:00:00Z", "IE", "2023-02-28T00:00:00Z", "2023-04-29T00:00:00Z"),
    ("2019-03-31T23:59:59Z", "NO", "2019-04-30T23:59:59Z", "2019-06-30T23:59:59Z"),
    ("2019-12-31T12:00:00Z", "GB", "2020-01-31T12:00:00Z", "2020-03-31T12:00:00Z"),  # year
    ("2019-11-30T12:00:00Z", "GB", "2019-12-30T12:00:00Z", "2020-02-29T12:00:00Z"),
    ("2000-01-31T08:00:00Z", "BR", "2000-02-29T08:00:00Z", "2000-04-30T08:00:00Z"),  # 400
    ("2100-01-31T08:00:00Z", None, "2100-02-28T08:00:00Z", "2100-04-30T08:00:00Z"),  # 100
    ("2019-01-01T00:00:00Z", "US", "2019-02-15T00:00:00Z", "2019-04-01T00:00:00Z"),  # days
    ("2020-01-15T06:00:00Z", "US", "2020-02-29T06:00:00Z", "2020-04-14T06:00:00Z"),
    ("2019-12-20T00:00:00.250000Z", "US", "2020-02-03T00:00:00.250000Z", None),
]


@pytest.mark.parametrize(("received", "country", "due", "extended"), TABLE)
def test_deadlines_by_the_table(
    received: str, country: str | None, due: str, extended: str | None
) -> None:
    got = due_at(_at(received), country=country, catalog=CATALOG)
    assert rfc3339(got) == due
    assert got.tzinfo is UTC
    if extended is not None:
        assert rfc3339(extended_due_at(_at(received), country=country, catalog=CATALOG)) == (
            extended
        )


def test_an_extension_of_one_month_and_its_limits() -> None:
    received = _at("2019-01-31T10:00:00Z")
    one = extended_due_at(received, country="DE", catalog=CATALOG, by=1)
    assert rfc3339(one) == "2019-03-31T10:00:00Z"
    for by in (0, 3, -1):
        with pytest.raises(InvalidInput, match="extend by 1 to 2 months"):
            extended_due_at(received, country="DE", catalog=CATALOG, by=by)
    with pytest.raises(InvalidInput, match="1 to 45 days"):
        extended_due_at(received, country="US", catalog=CATALOG, by=46)


def test_a_row_that_allows_no_extension() -> None:
    catalog = parse_catalog(
        {
            **_default_data(),
            "deadlines": {"default": {"unit": "days", "period": 30}},
        },
        source="strict.toml",
    )
    received = _at("2019-01-31T10:00:00Z")
    assert rfc3339(due_at(received, country="DE", catalog=catalog)) == "2019-03-02T10:00:00Z"
    with pytest.raises(InvalidInput, match="cannot be extended"):
        extended_due_at(received, country="DE", catalog=catalog)


def test_receipt_in_another_zone_is_counted_in_utc() -> None:
    received = datetime(2019, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert rfc3339(due_at(received, country="DE", catalog=CATALOG)) == "2019-03-01T01:30:00Z"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        due_at(datetime(2019, 1, 31), country="DE", catalog=CATALOG)
    with pytest.raises(ValueError, match="naive"):
        rfc3339(datetime(2019, 1, 31))


@pytest.mark.parametrize(
    ("now", "country", "due"),
    [
        ("2024-01-31T10:00:00Z", "DE", "2024-02-29T10:00:00Z"),
        ("2026-12-02T03:00:00Z", "GB", "2027-01-02T03:00:00Z"),
        ("2026-12-31T23:59:59Z", "US", "2027-02-14T23:59:59Z"),
    ],
)
def test_a_request_received_now(now: str, country: str, due: str) -> None:
    with time_machine.travel(_at(now), tick=False):
        received = utc_now()
        assert rfc3339(received) == now
        assert rfc3339(due_at(received, country=country, catalog=CATALOG)) == due


def test_time_moves_and_the_deadline_with_it() -> None:
    with time_machine.travel(_at("2019-01-30T12:00:00Z"), tick=False) as traveller:
        assert due_at(utc_now(), country="DE", catalog=CATALOG).day == 28
        traveller.shift(timedelta(days=1))  # 31 January
        assert due_at(utc_now(), country="DE", catalog=CATALOG).day == 28
        traveller.shift(timedelta(days=1))  # 1 February
        assert rfc3339(due_at(utc_now(), country="DE", catalog=CATALOG)) == ("2019-03-01T12:00:00Z")


@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2400, 1, 1)),
    st.integers(min_value=0, max_value=36),
)
def test_a_calendar_month_is_the_same_day_number_or_the_months_last_day(
    moment: datetime, months: int
) -> None:
    start = moment.replace(tzinfo=UTC)
    after = add_months(start, months)
    assert (after.year * 12 + after.month) - (start.year * 12 + start.month) == months
    assert after.time() == start.time()
    assert after.day == start.day or (
        after.day < start.day and (after + timedelta(days=1)).day == 1
    )
    assert after >= start


def _default_data() -> dict[str, object]:
    text = resources.files("consentgate").joinpath("catalogs/default.toml").read_text("utf-8")
    return tomllib.loads(text)
