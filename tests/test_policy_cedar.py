"""The Python rule against its Cedar specification (policies/consent.cedar).

At least 100,000 random reads over small adversarial populations — friends' consents offered
as candidates, missing apps, subjects and consents, statuses, purposes, and clocks placed on
the exact instants where a consent starts, expires (90 days) or is withdrawn and where a
subject reaches the age of digital consent — plus named boundary cases. Zero mismatches are
allowed, in the decision and in the allowed-field set.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from consentgate.catalog import default_catalog
from consentgate.clock import from_micros, to_micros
from consentgate.policy import AppStatus, AppView, ConsentView, SubjectView, decide
from consentgate.testing.cedar import CedarOracle, CedarRead, Population

CATALOG = default_catalog()
FIELDS = list(CATALOG.fields)
PURPOSES = list(CATALOG.purposes)
COUNTRIES = ["DE", "AT", "GB", "FR", "ES", "US", None]
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = 86_400_000_000
CASES = 100_000
POPULATIONS = 20


@pytest.fixture(scope="module")
def oracle() -> CedarOracle:
    return CedarOracle()


def test_cedar_policies_validate_against_the_schema(oracle: CedarOracle) -> None:
    assert oracle.validate() == []


def _population(rng: random.Random) -> tuple[list[AppView], list[SubjectView], list[ConsentView]]:
    apps = []
    for index in range(6):
        status = rng.choices(list(AppStatus), weights=[1, 12, 1, 1])[0]
        purposes = frozenset(rng.sample(PURPOSES, rng.randint(1, 4)))
        approved = rng.sample(FIELDS, rng.randint(0, len(FIELDS)))
        apps.append(AppView(f"app_{index}", status, purposes, CATALOG.mask(approved)))
    subjects = []
    for index in range(10):
        country = rng.choice(COUNTRIES)
        age = CATALOG.age_of_consent(country) + rng.choice([-2, -1, 0, 0, 1, 20])
        birth: date | None = _years_before(T0.date(), age) + timedelta(days=rng.choice([-1, 0, 1]))
        if rng.random() < 0.05:
            birth = None
        subjects.append(SubjectView(f"s{index}", country, birth))
    consents = []
    subject_ids = [s.id for s in subjects] + ["s_ghost"]
    app_ids = [a.id for a in apps] + ["app_missing"]
    for index in range(60):
        granted = to_micros(T0) + rng.choice([-91 * DAY, -90 * DAY, -DAY, 0, 1, DAY])
        expires = granted + rng.choice([90 * DAY, 90 * DAY, DAY, 1])
        withdrawn = None
        if rng.random() < 0.3:
            withdrawn = to_micros(T0) + rng.choice([-DAY, -1, 0, 1, DAY])
        app = rng.choice(apps)
        if rng.random() < 0.85:  # well-formed: what a grant check would have let through
            app_id = app.id
            purpose = rng.choice(sorted(app.purposes))
            approved = CATALOG.names(app.approved_mask) or FIELDS
            fields = rng.sample(approved, rng.randint(1, len(approved)))
            explicit = rng.random() < 0.8
            parental = rng.random() < 0.6
        else:
            app_id = rng.choice(app_ids)
            purpose = rng.choice(PURPOSES)
            fields = rng.sample(FIELDS, rng.randint(1, 6))
            explicit = rng.random() < 0.5
            parental = rng.random() < 0.3
        consents.append(
            ConsentView(
                id=f"cns_{index}",
                subject_id=rng.choice(subject_ids),
                app_id=app_id,
                purpose=purpose,
                fields_mask=CATALOG.mask(fields),
                explicit=explicit,
                parental=parental,
                granted_us=granted,
                expires_us=expires,
                withdrawn_us=withdrawn,
            )
        )
    return apps, subjects, consents


def _reads(
    rng: random.Random,
    apps: list[AppView],
    subjects: list[SubjectView],
    consents: list[ConsentView],
    count: int,
) -> list[CedarRead]:
    instants = [to_micros(T0)]
    for c in consents:
        for moment in (c.granted_us, c.expires_us, c.withdrawn_us):
            if moment is not None:
                instants.extend([moment - 1, moment, moment + 1])
        instants.extend(rng.randrange(c.granted_us, c.expires_us) for _ in range(8))
    # midnight boundaries, where an age of consent is reached
    instants.extend(to_micros(T0.replace(hour=0)) + d * DAY + e for d in (0, 1) for e in (-1, 0))
    app_ids = [a.id for a in apps] + ["app_missing"]
    subject_ids = [s.id for s in subjects] + ["s_ghost"]
    by_pair: dict[tuple[str, str], list[str]] = {}
    for c in consents:
        by_pair.setdefault((c.subject_id, c.app_id), []).append(c.id)
    reads: list[CedarRead] = []
    for _ in range(count):
        pick = rng.choice(consents)
        if rng.random() < 0.85:
            app_id, subject_id = pick.app_id, pick.subject_id
            purpose = pick.purpose if rng.random() < 0.9 else rng.choice(PURPOSES)
        else:
            app_id, subject_id = rng.choice(app_ids), rng.choice(subject_ids)
            purpose = rng.choice(PURPOSES)
        candidates = list(by_pair.get((subject_id, app_id), []))
        if rng.random() < 0.2:  # a friend's (or another app's) consent slipped in
            candidates.append(rng.choice(consents).id)
        fields = rng.sample(FIELDS, rng.randint(1, 4))
        if rng.random() < 0.6 and subject_id == pick.subject_id:
            fields = rng.sample(CATALOG.names(pick.fields_mask), 1) + fields[:1]
        reads.append(
            CedarRead(
                app_id=app_id,
                subject_id=subject_id,
                consent_ids=tuple(candidates),
                purpose=purpose,
                fields=tuple(fields),
                now=from_micros(rng.choice(instants)),
            )
        )
    return reads


def _python_allowed(
    read: CedarRead,
    apps: dict[str, AppView],
    subjects: dict[str, SubjectView],
    consents: dict[str, ConsentView],
) -> list[str]:
    decision = decide(
        app=apps.get(read.app_id),
        subject=subjects.get(read.subject_id),
        consents=[consents[i] for i in read.consent_ids],
        purpose=read.purpose,
        fields=read.fields,
        catalog=CATALOG,
        now=read.now,
    )
    return list(decision.allowed)


@pytest.mark.slow
def test_python_rule_and_cedar_agree_on_100k_random_reads(oracle: CedarOracle) -> None:
    rng = random.Random(20261127)
    compared = allowed_somewhere = mismatches = 0
    examples = []
    for _ in range(POPULATIONS):
        apps, subjects, consents = _population(rng)
        population = Population(catalog=CATALOG, apps=apps, subjects=subjects, consents=consents)
        app_map = {a.id: a for a in apps}
        subject_map = {s.id: s for s in subjects}
        consent_map = {c.id: c for c in consents}
        reads = _reads(rng, apps, subjects, consents, CASES // POPULATIONS)
        answers = oracle.allowed_many(population, reads)
        for read, cedar in zip(reads, answers, strict=True):
            ours = _python_allowed(read, app_map, subject_map, consent_map)
            compared += 1
            allowed_somewhere += bool(ours)
            if ours != cedar:
                mismatches += 1
                examples.append((read, ours, cedar))
    assert compared >= CASES
    # the generator must exercise both outcomes, or agreement would prove little
    assert 0.05 * compared < allowed_somewhere < 0.95 * compared
    assert mismatches == 0, examples[:3]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


ADULT = SubjectView("s_adult", "DE", date(1990, 1, 1))
APP = AppView("app_a", AppStatus.APPROVED, frozenset({"analytics"}), CATALOG.mask(FIELDS))


def _consent(**overrides: object) -> ConsentView:
    values: dict[str, object] = {
        "id": "cns_b",
        "subject_id": "s_adult",
        "app_id": "app_a",
        "purpose": "analytics",
        "fields_mask": CATALOG.mask(["name", "religion"]),
        "explicit": False,
        "parental": False,
        "granted_us": to_micros(T0),
        "expires_us": to_micros(T0 + timedelta(days=90)),
        "withdrawn_us": None,
    }
    values.update(overrides)
    return ConsentView(**values)  # type: ignore[arg-type]


BOUNDARIES = {
    "exactly 90 days after the grant": (ADULT, [_consent()], T0 + timedelta(days=90)),
    "one microsecond before 90 days": (
        ADULT,
        [_consent()],
        T0 + timedelta(days=90) - timedelta(microseconds=1),
    ),
    "at the instant of the grant": (ADULT, [_consent()], T0),
    "withdrawn at the instant of the read": (ADULT, [_consent(withdrawn_us=to_micros(T0))], T0),
    "withdrawn a microsecond after the read": (
        ADULT,
        [_consent(withdrawn_us=to_micros(T0) + 1)],
        T0,
    ),
    "exactly the age of consent": (
        SubjectView("s_adult", "DE", date(2010, 11, 27)),
        [_consent()],
        T0,
    ),
    "a day below the age of consent": (
        SubjectView("s_adult", "DE", date(2010, 11, 28)),
        [_consent()],
        T0,
    ),
    "exactly 14 in Austria": (SubjectView("s_adult", "AT", date(2012, 11, 27)), [_consent()], T0),
    "missing consent": (ADULT, [], T0),
    "missing subject": (None, [_consent(parental=True)], T0),
    "a friend's consent": (ADULT, [_consent(subject_id="s_friend")], T0),
}


@pytest.mark.parametrize("case", list(BOUNDARIES))
def test_boundary_cases_agree(oracle: CedarOracle, case: str) -> None:
    subject, consents, now = BOUNDARIES[case]
    subjects = [subject] if subject is not None else []
    population = Population(catalog=CATALOG, apps=[APP], subjects=subjects, consents=consents)
    for app in (APP, None):
        app_id = "app_a" if app is not None else "app_missing"
        ours = decide(
            app=app,
            subject=subject,
            consents=consents,
            purpose="analytics",
            fields=["name", "religion", "email"],
            catalog=CATALOG,
            now=now,
        )
        cedar = oracle.allowed(
            population,
            app_id=app_id,
            subject_id="s_adult",
            consent_ids=[c.id for c in consents],
            purpose="analytics",
            fields=["name", "religion", "email"],
            now=now,
        )
        assert list(ours.allowed) == cedar, case


def test_boundary_expectations() -> None:
    """The boundaries mean what the rule says (so agreement is not agreement on a bug)."""
    expected = {
        "exactly 90 days after the grant": (),
        "one microsecond before 90 days": ("name",),
        "at the instant of the grant": ("name",),
        "withdrawn at the instant of the read": (),
        "withdrawn a microsecond after the read": ("name",),
        "exactly the age of consent": ("name",),
        "a day below the age of consent": (),
        "exactly 14 in Austria": ("name",),
        "missing consent": (),
        "missing subject": (),
        "a friend's consent": (),
    }
    for case, allowed in expected.items():
        subject, consents, now = BOUNDARIES[case]
        decision = decide(
            app=APP,
            subject=subject,
            consents=consents,
            purpose="analytics",
            fields=["name", "religion", "email"],
            catalog=CATALOG,
            now=now,
        )
        assert decision.allowed == allowed, case
