"""The harvest rules on simulated time: each fires on its pattern and names its evidence,
and real apps' reading (login reads, a periodic sync, a look at friends who use the app, a
launch-day burst, users withdrawing) trips none of them, over days."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest
from datasketches import HLL_4, hll_sketch
from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.detect.detector import Detector
from consentgate.detect.rules import Finding, Thresholds
from consentgate.detect.signals import HLL_LG_K, Count, Distinct, ReadEvent, Ring

HOUR = 3600.0
DAY = 24 * HOUR
T0 = 1_800_000_000.0  # a fixed wall-clock second


def detector(consenting: int = 500, **limits: object) -> Detector:
    return Detector(Thresholds(**limits), consenting=lambda _app: consenting)  # type: ignore[arg-type]


def read(
    at: float,
    subject: str | None,
    *,
    app: str = "app_a",
    reason: str | None = None,
    withheld: dict[str, str] | None = None,
    purpose: str = "service_provision",
    source: str = "10.0.0.1",
    scoped_id: str | None = None,
    friends: Iterable[str] = (),
) -> ReadEvent:
    released = subject is not None and reason is None
    return ReadEvent(
        app_id=app,
        at=at,
        source=source,
        purpose=purpose,
        target=subject,
        scoped_id=scoped_id if subject is None else None,
        reason=reason,
        withheld=withheld or {},
        disclosed=((subject, *friends) if released and subject is not None else ()),
    )


def first_finding(d: Detector, events: Iterable[ReadEvent]) -> tuple[int, Finding | None]:
    for n, event in enumerate(events, start=1):
        finding = d.observe(event)
        if finding is not None:
            return n, finding
    return 0, None


# --- each rule fires on its pattern, with evidence --------------------------------------


def test_id_enumeration_fires_on_the_twentieth_foreign_id() -> None:
    events = (read(T0 + i, None, scoped_id=f"guess-{i}", reason="NO_CONSENT") for i in range(1000))
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "id_enumeration"
    assert n == 20
    assert finding.evidence["foreign_ids"] == 20
    assert finding.evidence["window_seconds"] == DAY
    assert "20 distinct subject ids" in finding.explanation


def test_the_same_foreign_id_again_and_again_is_not_enumeration() -> None:
    events = (read(T0 + i, None, scoped_id="stale", reason="NO_CONSENT") for i in range(500))
    assert first_finding(detector(), events) == (0, None)


def test_enumeration_spread_wider_than_the_window_does_not_add_up() -> None:
    """19 guesses, then 19 more 26 hours later, five times: the day window has forgotten
    the last batch each time (the count within a day decides)."""
    events = [
        read(
            T0 + batch * (DAY + 2 * HOUR) + i * 60,
            None,
            scoped_id=f"g{batch}-{i}",
            reason="NO_CONSENT",
        )
        for batch in range(5)
        for i in range(19)
    ]
    assert first_finding(detector(), events) == (0, None)


def test_a_slow_drip_of_guesses_is_caught_by_the_day_window() -> None:
    """One guess every two minutes stays under any per-second limit; 20 in a day fire."""
    events = (
        read(T0 + i * 120, None, scoped_id=f"slow-{i}", reason="NO_CONSENT") for i in range(100)
    )
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "id_enumeration"
    assert n == 20


def test_field_sweep_names_the_fields() -> None:
    catalog_fields = ["messages", "email", "religion"]
    events = (
        read(
            T0 + i,
            "7",
            withheld={catalog_fields[i % 3]: "FIELD_NOT_APPROVED"},
        )
        for i in range(100)
    )
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "field_sweep"
    assert n == 10
    assert finding.evidence["fields"] == sorted(catalog_fields)
    assert finding.evidence["out_of_scope_asks"] == 10


def test_unknown_field_names_count_as_a_sweep() -> None:
    d = detector()
    events = (
        ReadEvent(
            app_id="app_a",
            at=T0 + i,
            source="s",
            purpose="analytics",
            unknown_fields=(f"guess_{i}",),
        )
        for i in range(50)
    )
    n, finding = first_finding(d, events)
    assert finding is not None
    assert finding.rule == "field_sweep"
    assert n == 10


def test_purpose_switching_needs_refusals_under_more_than_one_purpose() -> None:
    purposes = ["analytics", "personalised_advertising", "political_campaigning"]
    events = (
        read(T0 + i, str(i), purpose=purposes[i % 3], reason="PURPOSE_NOT_CONSENTED")
        for i in range(200)
    )
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "purpose_switching"
    assert n == 20
    assert set(finding.evidence["purposes"]) == set(purposes)


def test_one_purpose_refused_is_not_switching() -> None:
    """An app whose users consented to a purpose no longer: refusals, but one purpose."""
    d = detector(probe_requests=10_000)  # keep the probing rule out of the way
    events = (read(T0 + i, str(i), reason="PURPOSE_NOT_CONSENTED") for i in range(200))
    assert first_finding(d, events) == (0, None)


def test_refused_data_probing_the_cambridge_analytica_crawl() -> None:
    """A quiz app asking each installer for political views and religion they never gave."""
    events = (
        read(
            T0 + i,
            str(i),
            withheld={
                "political_views": "EXPLICIT_CONSENT_REQUIRED",
                "religion": "EXPLICIT_CONSENT_REQUIRED",
            },
        )
        for i in range(500)
    )
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "refused_data_probing"
    assert n == 50
    assert finding.evidence["refused_requests"] == 50
    assert finding.evidence["requests"] == 50


def test_probing_below_the_share_does_not_fire() -> None:
    """One read in ten refused (users who withdrew) stays under the 25 % share."""
    events = (
        read(T0 + i, str(i % 300), reason="NO_CONSENT" if i % 10 == 0 else None)
        for i in range(2000)
    )
    assert first_finding(detector(), events) == (0, None)


def test_reach_beyond_consent_compares_with_the_consenting_count() -> None:
    """Asking for far more subjects than consent (here ids it was never given, with the
    enumeration rule out of the way)."""
    d = detector(consenting=40, enumeration_ids=10_000, probe_requests=10_000)
    events = (read(T0 + i, None, scoped_id=f"u{i}") for i in range(1000))
    n, finding = first_finding(d, events)
    assert finding is not None
    assert finding.rule == "reach_beyond_consent"
    assert finding.evidence["consenting_subjects"] == 40
    assert finding.evidence["subjects_asked"] > 1.5 * 40 + 50
    assert n <= 115  # checked once a second: at most a second after the count is passed


@pytest.mark.parametrize("users", [70, 100, 150, 400])
def test_a_wave_of_withdrawals_is_not_probing(users: int) -> None:
    """67 people withdraw together; the app's hourly sync of everyone it was given meets
    their refusals (NO_CONSENT) for hours, its logins go on: no rule fires. (Counted as
    refusals of data never agreed to, this fired ``refused_data_probing`` up to 150 users,
    and subtracting the withdrawn from the consenting count fired ``reach_beyond_consent``.)"""
    rng = random.Random(users)
    consenting = {"now": users}
    d = Detector(Thresholds(), consenting=lambda _app: consenting["now"])
    gone = set(rng.sample(range(users), 67))
    events = []
    for hour in range(8):
        base = T0 + hour * HOUR
        for u in range(users):
            lapsed = hour >= 1 and u in gone
            events.append(
                read(base + rng.random() * 600, str(u), reason="NO_CONSENT" if lapsed else None)
            )
        for u in rng.sample(range(users), users // 4):
            if not (hour >= 1 and u in gone):
                events.append(read(base + rng.random() * HOUR, str(u)))
    events.sort(key=lambda e: e.at)
    for event in events:
        if event.at >= T0 + HOUR:
            consenting["now"] = users - 67
        assert d.observe(event) is None, event


def test_bulk_rereading_fires_on_reads_per_subject() -> None:
    events = (read(T0 + i * 0.05, str(i % 50)) for i in range(5000))
    n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "bulk_rereading"
    assert finding.evidence["reads"] >= 1000
    assert finding.evidence["reads_per_subject"] > 10
    assert finding.evidence["distinct_subjects"] == pytest.approx(50, abs=2)
    assert n <= 1000 + 20


def test_token_sources_fires_on_many_addresses() -> None:
    events = (read(T0 + i, str(i % 30), source=f"10.1.0.{i}") for i in range(100))
    _n, finding = first_finding(detector(), events)
    assert finding is not None
    assert finding.rule == "token_sources"
    assert finding.evidence["sources"] >= 16


def test_burst_against_the_apps_own_baseline() -> None:
    """A day of 10 reads a minute over 300 users, then a minute of 3,000 re-reads of 100."""
    rng = random.Random(4)
    day = [
        read(T0 + m * 60 + s * 6, str(rng.randrange(300))) for m in range(1440) for s in range(10)
    ]
    burst = [read(T0 + DAY + i * 0.02, str(i % 100)) for i in range(3000)]
    d = detector(reread_min_reads=100_000)  # the burst rule alone
    assert first_finding(d, day) == (0, None)
    _n, finding = first_finding(d, burst)
    assert finding is not None
    assert finding.rule == "burst"
    assert finding.evidence["baseline"] == pytest.approx(10, rel=0.2)


def test_a_launch_day_burst_of_new_users_is_not_a_burst() -> None:
    rng = random.Random(5)
    day = [
        read(T0 + m * 60 + s * 6, str(rng.randrange(300))) for m in range(1440) for s in range(10)
    ]
    launch = [read(T0 + DAY + i * 0.02, f"new-{i}") for i in range(3000)]  # each read once
    d = detector(reach_margin=10_000)
    assert first_finding(d, day + launch) == (0, None)


# --- containment state ------------------------------------------------------------------


def test_one_finding_per_containment_and_a_fresh_start_after_reinstatement() -> None:
    d = detector()
    guesses = [read(T0 + i, None, scoped_id=f"g{i}", reason="NO_CONSENT") for i in range(40)]
    n, finding = first_finding(d, guesses)
    assert finding is not None
    assert n == 20
    d.mark_contained("app_a", at=T0 + 20.5)
    # in-flight reads decided before the suspension, and refusals after it: no new finding
    assert first_finding(d, [read(T0 + 20.2, "1")]) == (0, None)
    assert first_finding(d, [read(T0 + 21, "1", reason="APP_SUSPENDED")] * 50) == (0, None)
    # allowed again after containment: reinstated; the old guesses are forgotten
    assert d.observe(read(T0 + 60, "1")) is None
    more = [read(T0 + 61 + i, None, scoped_id=f"h{i}", reason="NO_CONSENT") for i in range(19)]
    assert first_finding(d, more) == (0, None)


def test_apps_are_watched_apart() -> None:
    d = detector()
    for i in range(19):
        assert (
            d.observe(read(T0 + i, None, app="app_a", scoped_id=f"a{i}", reason="NO_CONSENT"))
            is None
        )
        assert (
            d.observe(read(T0 + i, None, app="app_b", scoped_id=f"b{i}", reason="NO_CONSENT"))
            is None
        )


# --- real apps over days trip nothing ----------------------------------------------------


def benign_day(rng: random.Random, start: float, users: int, app: str) -> list[ReadEvent]:
    """A day of a real app: a login read for each active user (1-3 logins), an hourly sync
    of everyone, a look at each active user's friends who use the app, 2 % of users gone
    (refused), all from two server addresses."""
    events: list[ReadEvent] = []
    gone = set(rng.sample(range(users), users // 50))
    for hour in range(24):
        base = start + hour * HOUR
        for u in range(users):
            reason = "NO_CONSENT" if u in gone else None
            events.append(
                read(
                    base + rng.random() * 600,
                    str(u),
                    app=app,
                    reason=reason,
                    source=f"10.0.0.{u % 2}",
                )
            )
        for u in rng.sample(range(users), users // 4):
            if u in gone:
                continue
            for _ in range(rng.randint(1, 3)):
                events.append(read(base + rng.random() * HOUR, str(u), app=app))
            friends = [str(f) for f in rng.sample(range(users), 5) if f not in gone]
            events.append(read(base + rng.random() * HOUR, str(u), app=app, friends=friends))
    events.sort(key=lambda e: e.at)
    return events


@pytest.mark.parametrize(
    "users",
    [30, 400, pytest.param(1500, marks=pytest.mark.slow)],  # three simulated days
)
def test_real_apps_over_three_days_trip_nothing(users: int) -> None:
    rng = random.Random(users)
    d = detector(consenting=users)
    events = [e for day in range(3) for e in benign_day(rng, T0 + day * DAY, users, "app_real")]
    assert first_finding(d, events) == (0, None)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3 * 86_400), st.integers(0, 200), st.integers(0, 99)),
        max_size=400,
    )
)
def test_reads_of_consenting_subjects_at_a_human_pace_never_fire(
    reads: list[tuple[int, int, int]],
) -> None:
    """Any schedule of allowed reads of 200 consenting users, none read more than a few
    times an hour, from one address: no rule fires."""
    d = detector(consenting=200)
    per_hour: dict[tuple[int, int], int] = {}
    events = []
    for at, subject, _ in sorted(reads):
        key = (at // 3600, subject)
        per_hour[key] = per_hour.get(key, 0) + 1
        if per_hour[key] <= 4:
            events.append(read(T0 + at, str(subject)))
    assert first_finding(d, events) == (0, None)


# --- the windows themselves ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 10_000, allow_nan=False), max_size=300))
def test_ring_totals_equal_a_recount_of_the_events_in_the_window(times: list[float]) -> None:
    """The running totals equal a naive recount of the events whose bucket is still live."""
    ring = Ring(width=60, size=10)
    seen: list[float] = []
    for at in sorted(times):
        bucket = ring.advance(at)
        ring.add(Count.REQUESTS, bucket)
        seen.append(at)
        epoch = int(at // 60)
        expected = sum(1 for t in seen if int(t // 60) > epoch - 10)
        assert ring.totals[Count.REQUESTS] == expected


def test_memory_per_app_is_bounded_whatever_the_traffic() -> None:
    """200,000 distinct subjects over two hours: every sketch of the app stays within the
    fixed size of an HLL sketch (lg_k 10), over a fixed number of buckets, and the hour's
    distinct count is still estimated within 5 %."""
    d = detector(reread_min_reads=10**9, reach_margin=10**9)
    for i in range(200_000):
        d.observe(read(T0 + i * 0.036, f"s{i}"))
    signals = d._apps["app_a"]
    ceiling = hll_sketch.get_max_updatable_serialization_bytes(HLL_LG_K, HLL_4)
    sketches = signals.sketches()
    assert all(s.get_updatable_serialization_bytes() <= ceiling for s in sketches)
    assert len(sketches) <= (60 + 24) * len(Distinct)
    last_hour = 3600 / 0.036
    assert signals.short.distinct(Distinct.TARGETS) == pytest.approx(last_hour, rel=0.05)


def test_apps_idle_for_a_whole_day_are_forgotten() -> None:
    d = detector(consenting=10**6)
    d.observe(read(T0, "1", app="app_old"))
    for i in range(10_000):
        assert d.observe(read(T0 + DAY + 60 + i * 0.01, str(i), app="app_busy")) is None
    assert set(d._apps) == {"app_busy"}
