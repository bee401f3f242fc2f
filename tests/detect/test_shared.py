"""The detector's windows in Redis (``CONSENTGATE_REDIS_URL``), against the real server at
127.0.0.1:6379 (mandatory under ``CI=true``): two detectors sharing Redis — two server
processes, each seeing every other read — find what one detector in memory finds on the
whole traffic, at the same read; a finding starts the windows afresh for both; a Redis
that does not answer fails the read closed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator

import pytest
import redis

from consentgate.detect import Detector, ReadEvent, Thresholds, connect_redis, redis_windows
from consentgate.errors import StorageUnavailable
from tests.support import REDIS_URL, require_redis

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def client() -> Iterator[redis.Redis]:
    require_redis()
    found = connect_redis(REDIS_URL)
    yield found
    found.close()


def _read(app: str, at: float, subject: str | None, **extra: object) -> ReadEvent:
    released = subject is not None and extra.get("reason") is None
    return ReadEvent(
        app_id=app,
        at=at,
        source=str(extra.pop("source", "10.0.0.1")),
        purpose=str(extra.pop("purpose", "service_provision")),
        target=subject,
        disclosed=(subject,) if released and subject is not None else (),
        **extra,  # type: ignore[arg-type]
    )


# each scenario: (thresholds, consenting subjects, the events of one app)
Scenario = Callable[[str], tuple[Thresholds, int, list[ReadEvent]]]


def _enumeration(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    events = [
        _read(app, T0 + i, None, scoped_id=f"guess-{i}", reason="NO_CONSENT") for i in range(60)
    ]
    return Thresholds(), 500, events


def _field_sweep(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    names = ["messages", "email", "religion"]
    events = [
        _read(app, T0 + i, "7", withheld={names[i % 3]: "FIELD_NOT_APPROVED"}) for i in range(40)
    ]
    return Thresholds(), 500, events


def _purpose_switching(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    purposes = ["analytics", "personalised_advertising", "political_campaigning"]
    events = [
        _read(app, T0 + i, str(i), purpose=purposes[i % 3], reason="PURPOSE_NOT_CONSENTED")
        for i in range(60)
    ]
    return Thresholds(), 500, events


def _probing(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    withheld = {"political_views": "EXPLICIT_CONSENT_REQUIRED"}
    events = [_read(app, T0 + i, str(i), withheld=withheld) for i in range(120)]
    return Thresholds(), 500, events


def _reach(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    events = [_read(app, T0 + i, str(i), reason="NO_CONSENT") for i in range(300)]
    return Thresholds(enumeration_ids=10_000, probe_requests=10_000), 40, events


def _rereading(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    events = [_read(app, T0 + i * 0.05, str(i % 20)) for i in range(400)]
    return Thresholds(reread_min_reads=200), 500, events


def _token_sources(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    events = [_read(app, T0 + i, str(i % 30), source=f"10.1.0.{i}") for i in range(60)]
    return Thresholds(), 500, events


def _benign(app: str) -> tuple[Thresholds, int, list[ReadEvent]]:
    events = [_read(app, T0 + i * 30, str(i % 200)) for i in range(400)]
    return Thresholds(), 500, events


DISTINCT_RULES = {"reach_beyond_consent", "bulk_rereading", "token_sources"}
SCENARIOS: dict[str, Scenario] = {
    "id_enumeration": _enumeration,
    "field_sweep": _field_sweep,
    "purpose_switching": _purpose_switching,
    "refused_data_probing": _probing,
    "reach_beyond_consent": _reach,
    "bulk_rereading": _rereading,
    "token_sources": _token_sources,
    "nothing": _benign,
}


def _first(
    detectors: list[Detector], events: Iterable[ReadEvent]
) -> tuple[int, str | None, dict[str, object]]:
    """Events dealt to ``detectors`` in turn; the first finding: (read number, rule, evidence)."""
    for n, event in enumerate(events, start=1):
        finding = detectors[n % len(detectors)].observe(event)
        if finding is not None:
            evidence = {k: v for k, v in finding.evidence.items() if k != "explanation"}
            return n, finding.rule, evidence
    return 0, None, {}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_two_processes_sharing_redis_find_what_one_finds_in_memory(
    client: redis.Redis, name: str
) -> None:
    app = f"app_{uuid.uuid4().hex[:12]}"
    limits, consenting, events = SCENARIOS[name](app)
    alone = Detector(limits, consenting=lambda _app: consenting)
    shared = [
        Detector(limits, consenting=lambda _app: consenting, windows=redis_windows(client))
        for _ in range(2)
    ]
    expected = _first([alone], events)
    assert expected[1] == (None if name == "nothing" else name)
    found = _first(shared, events)
    if name not in DISTINCT_RULES:
        assert found == expected  # the counter rules: at the same read, the same evidence
        return
    # the distinct-count rules run at most once a second in each process (and the sketches
    # are Redis' own): the same rule, within a second's reads of one process
    assert found[1] == expected[1]
    late = limits.evaluate_every_seconds / (events[1].at - events[0].at)
    assert abs(found[0] - expected[0]) <= late + 1


def test_a_finding_starts_the_windows_afresh_for_every_process(client: redis.Redis) -> None:
    app = f"app_{uuid.uuid4().hex[:12]}"
    one, other = (
        Detector(consenting=lambda _app: 500, windows=redis_windows(client)) for _ in "ab"
    )
    guesses = [_read(app, T0 + i, None, scoped_id=f"g{i}", reason="NO_CONSENT") for i in range(40)]
    assert _first([one, other], guesses)[:2] == (20, "id_enumeration")
    # the other process never saw the finding; it reads the fresh windows, not the old ones
    more = [
        _read(app, T0 + 60 + i, None, scoped_id=f"h{i}", reason="NO_CONSENT") for i in range(19)
    ]
    assert _first([other], more) == (0, None, {})
    assert _first([other], [_read(app, T0 + 90, None, scoped_id="h-last", reason="NO_CONSENT")])[
        1
    ] == ("id_enumeration")


def test_a_redis_that_does_not_answer_fails_the_read_closed() -> None:
    with pytest.raises(StorageUnavailable, match="CONSENTGATE_REDIS_URL"):
        connect_redis("redis://127.0.0.1:1/0")
    gone = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    detector = Detector(consenting=lambda _app: 1, windows=redis_windows(gone))
    with pytest.raises(StorageUnavailable):
        detector.observe(_read("app_x", T0, "1"))
