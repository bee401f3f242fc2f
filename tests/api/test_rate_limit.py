"""The per-app rate limit (issue 11, item 11): one app's reads over a real server are cut
at its burst with 429 ``RATE_LIMITED`` and ``Retry-After``, another app is not slowed, and
the app reads again once the wait is over. ``TokenBucket`` as a property: over any times
calls come at, no window admits more than ``burst + rate * length`` of them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentgate.limits import TokenBucket
from consentgate.runtime import app_rate_limiter
from consentgate.settings import Settings
from tests.support import (
    LiveServer,
    adults,
    assert_envelope,
    client_of,
    grant,
    make_live_app,
    read,
    scoped_ids,
    start_server,
)

RATE = 2.0
BURST = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(
        tmp_path_factory.mktemp("rate"), rate_limit_app=RATE, rate_limit_app_burst=BURST
    ) as live:
        yield live


def test_an_app_over_its_rate_is_429_and_others_are_not(server: LiveServer) -> None:
    with client_of(server) as http:
        greedy = make_live_app(http, server, fields=["name"])
        calm = make_live_app(http, server, fields=["name"])
        subject = adults(server)[0]
        grant(http, server, subject, greedy, ["name"])
        grant(http, server, subject, calm, ["name"])
        greedy_id, calm_id = scoped_ids(http, greedy)[0], scoped_ids(http, calm)[0]

        answers = [read(http, greedy, greedy_id, "name") for _ in range(BURST + 4)]
        statuses = [a.status_code for a in answers]
        assert statuses[:BURST] == [200] * BURST, statuses
        assert set(statuses[BURST:]) == {429}, statuses
        limited = answers[-1]
        assert_envelope(limited, 429, "RATE_LIMITED")
        wait = int(limited.headers["retry-after"])
        assert 1 <= wait <= 1 + 1 / RATE

        assert read(http, calm, calm_id, "name").status_code == 200  # its own bucket
        time.sleep(wait)
        assert read(http, greedy, greedy_id, "name").status_code == 200


def test_zero_turns_the_limit_off() -> None:
    limiter = app_rate_limiter(Settings(rate_limit_app=0))
    assert all(limiter.acquire("app_x") == 0 for _ in range(10_000))


@given(
    rate=st.floats(min_value=0.1, max_value=1000),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), max_size=200),
)
def test_no_window_admits_more_than_the_burst_and_the_rate(
    rate: float, burst: int, gaps: list[float]
) -> None:
    now = [0.0]
    bucket = TokenBucket(rate=rate, burst=burst, clock=lambda: now[0])
    admitted: list[float] = []
    for gap in gaps:
        now[0] += gap
        wait = bucket.acquire("k")
        if wait == 0:
            admitted.append(now[0])
        else:
            assert wait > 0
            assert wait <= 1 / rate + 1e-9
    for i, start in enumerate(admitted):
        for j in range(i, len(admitted)):
            assert j - i + 1 <= burst + rate * (admitted[j] - start) + 1e-6
