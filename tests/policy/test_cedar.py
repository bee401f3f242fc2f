"""The Python rule against its Cedar specification (policies/consent.cedar).

At least 100,000 random reads over small adversarial populations — friends' consents offered
as candidates, missing apps, subjects and consents, statuses, purposes, restricted and
objecting subjects, developers in and outside the EU/EEA, and clocks placed on the exact
instants where a consent starts, expires (90 days) or is withdrawn, where a subject reaches
the age of digital consent or the voting age, and where an election window opens and
closes (in catalogs with windows around the reads, and in the built-in 2019 windows) —
plus named boundary cases. Zero mismatches are allowed in the allowed-field set.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone
from importlib import resources

import pytest

from consentgate.catalog import POLITICAL_PURPOSE, Catalog, default_catalog, parse_catalog
from consentgate.clock import from_micros, to_micros, ymd
from consentgate.policy import (
    AppStatus,
    AppView,
    ConsentView,
    Decision,
    Reason,
    SubjectState,
    SubjectView,
    decide,
)
from consentgate.testing.cedar import CedarOracle, CedarRead, Population

CATALOG = default_catalog()
FIELDS = list(CATALOG.fields)
PURPOSES = list(CATALOG.purposes)
COUNTRIES = ["DE", "AT", "GB", "FR", "ES", "US", "GR", "MT", "NO", None]
DEVELOPER_COUNTRIES = ["DE", "DE", "FR", "FR", "NO", "is", "GB", "US", "CH", None]
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = 86_400_000_000
CASES = 100_000
POPULATIONS = 20
ZONES = [timezone(timedelta(hours=h)) for h in (-12, -2, 2, 14)]


def _windowed_catalog() -> Catalog:
    """The built-in catalog with windows around T0 instead of 2019: overlapping windows
    (AT, ES), a one-day window, a voting age of 21, T0's day as first and last day."""
    text = resources.files("consentgate").joinpath("catalogs/default.toml").read_text("utf-8")
    data = tomllib.loads(text)
    data["elections"] = {
        "main": {
            "countries": ["DE", "FR", "AT", "GB", "GR"],
            "start": date(2026, 11, 20),
            "end": date(2026, 11, 27),
            "voting_age": 18,
        },
        "young": {
            "countries": ["AT", "ES"],
            "start": date(2026, 11, 27),
            "end": date(2026, 11, 27),
            "voting_age": 16,
        },
        "strict": {
            "countries": ["ES", "MT"],
            "start": date(2026, 11, 28),
            "end": date(2026, 12, 20),
            "voting_age": 21,
        },
    }
    return parse_catalog(data, source="windows around T0")


WINDOWED = _windowed_catalog()
# (catalog, the moment the population's consents and birthdays are placed around)
SETTINGS = [
    (WINDOWED, T0),
    (CATALOG, datetime(2019, 5, 26, 12, 0, tzinfo=UTC)),  # the built-in window's last day
    (WINDOWED, T0),
    (CATALOG, datetime(2019, 2, 23, 6, 0, tzinfo=UTC)),  # and its first
    (CATALOG, T0),  # no window open: the v1 rule with subject state
]


@pytest.fixture(scope="module")
def oracle() -> CedarOracle:
    return CedarOracle()


def test_cedar_policies_validate_against_the_schema(oracle: CedarOracle) -> None:
    assert oracle.validate() == []


class World:
    """One random population: its views, its state, its Cedar entities."""

    def __init__(self, rng: random.Random, catalog: Catalog, base: datetime) -> None:
        self.catalog = catalog
        self.base = base
        self.apps = _apps(rng)
        self.subjects = _subjects(rng, base, catalog)
        self.states = {s.id: _state(rng) for s in self.subjects}
        self.consents = _consents(rng, self.apps, self.subjects, base)
        self.population = Population(
            catalog=catalog,
            apps=self.apps,
            subjects=self.subjects,
            consents=self.consents,
            states=self.states,
        )
        self.app_map = {a.id: a for a in self.apps}
        self.subject_map = {s.id: s for s in self.subjects}
        self.consent_map = {c.id: c for c in self.consents}


def _apps(rng: random.Random) -> list[AppView]:
    apps = []
    for index in range(6):
        status = rng.choices(list(AppStatus), weights=[1, 12, 1, 1])[0]
        purposes = set(rng.sample(PURPOSES, rng.randint(1, 4)))
        if rng.random() < 0.5:
            purposes.add(POLITICAL_PURPOSE)
        approved = rng.sample(FIELDS, rng.randint(0, len(FIELDS)))
        apps.append(
            AppView(
                f"app_{index}",
                status,
                frozenset(purposes),
                CATALOG.mask(approved),
                developer_country=rng.choice(DEVELOPER_COUNTRIES),
            )
        )
    return apps


def _subjects(rng: random.Random, base: datetime, catalog: Catalog) -> list[SubjectView]:
    subjects = []
    for index in range(10):
        country = rng.choice(COUNTRIES)
        if rng.random() < 0.5:  # around the age of digital consent
            age = catalog.age_of_consent(country) + rng.choice([-2, -1, 0, 0, 1, 20, 30])
        else:  # around a voting age
            age = rng.choice([16, 17, 18, 21]) + rng.choice([-1, 0, 0, 1, 10])
        birth: date | None = _years_before(base.date(), age) + timedelta(
            days=rng.choice([-1, 0, 1])
        )
        if rng.random() < 0.05:
            birth = None
        subjects.append(SubjectView(f"s{index}", country, birth))
    return subjects


def _state(rng: random.Random) -> SubjectState:
    restricted = rng.random() < 0.05
    objections: frozenset[str] = frozenset()
    if rng.random() < 0.1:
        objections = frozenset(rng.sample(PURPOSES, rng.randint(1, 2)))
    return SubjectState(restricted=restricted, objections=objections)


def _consents(
    rng: random.Random, apps: list[AppView], subjects: list[SubjectView], base: datetime
) -> list[ConsentView]:
    consents = []
    subject_ids = [s.id for s in subjects] + ["s_ghost"]
    app_ids = [a.id for a in apps] + ["app_missing"]
    for index in range(60):
        granted = to_micros(base) + rng.choice([-91 * DAY, -90 * DAY, -DAY, 0, 1, DAY])
        expires = granted + rng.choice([90 * DAY, 90 * DAY, DAY, 1])
        withdrawn = None
        if rng.random() < 0.3:
            withdrawn = to_micros(base) + rng.choice([-DAY, -1, 0, 1, DAY])
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
    return consents


def _midnight_us(day: date) -> int:
    return to_micros(datetime.combine(day, time(0), tzinfo=UTC))


def _reads(rng: random.Random, world: World, count: int) -> list[CedarRead]:
    consents = world.consents
    instants = [to_micros(world.base)]
    for c in consents:
        for moment in (c.granted_us, c.expires_us, c.withdrawn_us):
            if moment is not None:
                instants.extend([moment - 1, moment, moment + 1])
        instants.extend(rng.randrange(c.granted_us, c.expires_us) for _ in range(8))
    # midnight boundaries, where an age of consent or a voting age is reached
    base_midnight = _midnight_us(world.base.date())
    instants.extend(base_midnight + d * DAY + e for d in (0, 1) for e in (-1, 0))
    # the first and last day of every window, and the days either side
    for window in world.catalog.elections.values():
        for edge in (_midnight_us(window.start), _midnight_us(window.end) + DAY):
            instants.extend([edge - 1, edge, edge + 1] * 4)
    app_ids = [a.id for a in world.apps] + ["app_missing"]
    subject_ids = [s.id for s in world.subjects] + ["s_ghost"]
    every_window = tuple(world.catalog.elections)
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
        now = from_micros(rng.choice(instants))
        if rng.random() < 0.1:  # the same instant written in another zone
            now = now.astimezone(rng.choice(ZONES))
        reads.append(
            CedarRead(
                app_id=app_id,
                subject_id=subject_id,
                consent_ids=tuple(candidates),
                purpose=purpose,
                fields=tuple(fields),
                now=now,
                # now and then every window, not only those listing the subject's country
                election_ids=every_window if rng.random() < 0.1 else None,
            )
        )
    return reads


def _python_decision(read: CedarRead, world: World) -> Decision:
    return decide(
        app=world.app_map.get(read.app_id),
        subject=world.subject_map.get(read.subject_id),
        consents=[world.consent_map[i] for i in read.consent_ids],
        purpose=read.purpose,
        fields=read.fields,
        catalog=world.catalog,
        now=read.now,
        state=world.states.get(read.subject_id, SubjectState.NONE),
    )


def _in_window(read: CedarRead, world: World) -> bool:
    subject = world.subject_map.get(read.subject_id)
    if subject is None or read.purpose != POLITICAL_PURPOSE:
        return False
    day = ymd(read.now.astimezone(UTC).date())
    return world.catalog.election_voting_age(subject.country, day) is not None


@pytest.mark.slow
def test_python_rule_and_cedar_agree_on_100k_random_reads(oracle: CedarOracle) -> None:
    rng = random.Random(20261127)
    compared = allowed_somewhere = mismatches = 0
    examples = []
    seen: Counter[str] = Counter()
    for index in range(POPULATIONS):
        catalog, base = SETTINGS[index % len(SETTINGS)]
        world = World(rng, catalog, base)
        reads = _reads(rng, world, CASES // POPULATIONS)
        answers = oracle.allowed_many(world.population, reads)
        for read, cedar in zip(reads, answers, strict=True):
            decision = _python_decision(read, world)
            ours = list(decision.allowed)
            compared += 1
            allowed_somewhere += bool(ours)
            seen[str(decision.reason)] += 1
            seen.update(f"field:{r}" for r in decision.withheld.values())
            if _in_window(read, world):
                seen["political read in a window"] += 1
                seen["released in a window"] += bool(ours)
                reasons = set(decision.withheld.values())
                if Reason.ELECTION_SAFEGUARD in reasons and (ours or len(reasons) > 1):
                    seen["a field withheld beside other answers"] += 1
            if ours != cedar:
                mismatches += 1
                examples.append((read, ours, cedar))
    assert compared >= CASES
    # the generator must exercise both outcomes, or agreement would prove little
    assert 0.05 * compared < allowed_somewhere < 0.95 * compared
    # ... and every new rule, both ways
    assert seen[Reason.SUBJECT_RESTRICTED] > 700, seen
    assert seen[Reason.OBJECTION] > 1200, seen
    assert seen[Reason.ELECTION_SAFEGUARD] > 1000, seen
    assert seen[f"field:{Reason.ELECTION_SAFEGUARD}"] > 2500, seen
    assert seen["political read in a window"] > 4000, seen
    assert seen["released in a window"] > 150, seen
    assert seen["a field withheld beside other answers"] > 80, seen
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


# --- named cases for subject state and the built-in 2019 election windows ---------------

IN_2019 = datetime(2019, 5, 26, 12, 0, tzinfo=UTC)
EEA_APP = AppView(
    "app_a",
    AppStatus.APPROVED,
    frozenset({"political_campaigning", "analytics"}),
    CATALOG.mask(FIELDS),
    developer_country="DE",
)
APP_VARIANTS = {
    "EEA developer": EEA_APP,
    "third-country developer": AppView(
        "app_a", EEA_APP.status, EEA_APP.purposes, EEA_APP.approved_mask, "US"
    ),
    "unknown developer country": AppView(
        "app_a", EEA_APP.status, EEA_APP.purposes, EEA_APP.approved_mask, None
    ),
}
ELECTION_FIELDS = ["name", "religion", "email", "political_views"]


def _political(**overrides: object) -> ConsentView:
    values: dict[str, object] = {
        "id": "cns_p",
        "subject_id": "s_adult",
        "app_id": "app_a",
        "purpose": "political_campaigning",
        "fields_mask": CATALOG.mask(["name", "religion", "political_views"]),
        "explicit": True,
        "parental": True,  # so that the age of digital consent is not what refuses
        "granted_us": to_micros(datetime(2019, 1, 1, tzinfo=UTC)),
        "expires_us": to_micros(datetime(2027, 1, 1, tzinfo=UTC)),
        "withdrawn_us": None,
    }
    values.update(overrides)
    return ConsentView(**values)  # type: ignore[arg-type]


def _person(country: str | None, birth: date | None) -> SubjectView:
    return SubjectView("s_adult", country, birth)


DE_ADULT = _person("DE", date(1990, 1, 1))
NONE = SubjectState.NONE
ALL = ("name", "religion", "political_views")  # what the consent covers, outside windows
SAFE = ("name",)  # inside a window: no special category
# case: (subject, state, consents, now, allowed for the EEA developer)
ELECTION_CASES: dict[str, tuple[SubjectView, SubjectState, list[ConsentView], datetime, tuple]] = {
    "the day before the window, its last microsecond": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 2, 22, 23, 59, 59, 999999, tzinfo=UTC),
        ALL,
    ),
    "the first day of the window, midnight": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 2, 23, tzinfo=UTC),
        SAFE,
    ),
    "the last day of the window, its last microsecond": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 5, 26, 23, 59, 59, 999999, tzinfo=UTC),
        SAFE,
    ),
    "the day after the window": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 5, 27, tzinfo=UTC),
        ALL,
    ),
    "inside by the UTC date, the 27th locally": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 5, 27, 1, 0, tzinfo=timezone(timedelta(hours=2))),
        SAFE,
    ),
    "outside by the UTC date, the 26th locally": (
        DE_ADULT,
        NONE,
        [_political()],
        datetime(2019, 5, 26, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
        ALL,
    ),
    "exactly 18 on the day": (
        _person("DE", date(2001, 5, 26)),
        NONE,
        [_political()],
        IN_2019,
        SAFE,
    ),
    "18 the next day": (_person("DE", date(2001, 5, 27)), NONE, [_political()], IN_2019, ()),
    "exactly 16 in Austria": (
        _person("AT", date(2003, 5, 26)),
        NONE,
        [_political()],
        IN_2019,
        SAFE,
    ),
    "16 the next day in Austria": (
        _person("AT", date(2003, 5, 27)),
        NONE,
        [_political()],
        IN_2019,
        (),
    ),
    "exactly 17 in Greece": (_person("GR", date(2002, 5, 26)), NONE, [_political()], IN_2019, SAFE),
    "17 the next day in Greece": (
        _person("GR", date(2002, 5, 27)),
        NONE,
        [_political()],
        IN_2019,
        (),
    ),
    "unknown birth date": (_person("DE", None), NONE, [_political()], IN_2019, ()),
    "unknown country, an adult": (
        _person(None, date(1990, 1, 1)),
        NONE,
        [_political()],
        IN_2019,
        SAFE,
    ),
    "unknown country, 17": (_person(None, date(2002, 5, 26)), NONE, [_political()], IN_2019, ()),
    "unknown country after the window": (
        _person(None, date(2002, 5, 26)),
        NONE,
        [_political()],
        datetime(2019, 5, 27, tzinfo=UTC),
        ALL,
    ),
    "a country without a window": (
        _person("US", date(2005, 1, 1)),
        NONE,
        [_political()],
        IN_2019,
        ALL,
    ),
    "an EEA country outside the EU election": (
        _person("NO", date(2005, 1, 1)),
        NONE,
        [_political()],
        IN_2019,
        ALL,
    ),
    "special fields without explicit consent in a window": (
        DE_ADULT,
        NONE,
        [_political(explicit=False)],
        IN_2019,
        (),
    ),
    "restricted": (DE_ADULT, SubjectState(restricted=True), [_political()], T0, ()),
    "restricted in a window": (
        DE_ADULT,
        SubjectState(restricted=True),
        [_political()],
        IN_2019,
        (),
    ),
    "objected to political campaigning": (
        DE_ADULT,
        SubjectState(objections=frozenset({"political_campaigning"})),
        [_political()],
        T0,
        (),
    ),
    "objected to another purpose": (
        DE_ADULT,
        SubjectState(objections=frozenset({"analytics"})),
        [_political()],
        IN_2019,
        SAFE,
    ),
    "restricted, without a consent": (DE_ADULT, SubjectState(restricted=True), [], IN_2019, ()),
    "a friend's consent in a window": (
        DE_ADULT,
        NONE,
        [_political(subject_id="s_friend")],
        IN_2019,
        (),
    ),
}
WINDOW_CASES = {
    "the first day of the window, midnight",
    "the last day of the window, its last microsecond",
    "inside by the UTC date, the 27th locally",
    "exactly 18 on the day",
    "exactly 16 in Austria",
    "exactly 17 in Greece",
    "unknown country, an adult",
    "objected to another purpose",
}


def _election_decision(app: AppView, case: str) -> Decision:
    subject, state, consents, now, _ = ELECTION_CASES[case]
    return decide(
        app=app,
        subject=subject,
        consents=consents,
        purpose="political_campaigning",
        fields=ELECTION_FIELDS,
        catalog=CATALOG,
        now=now,
        state=state,
    )


@pytest.mark.parametrize("variant", list(APP_VARIANTS))
@pytest.mark.parametrize("case", list(ELECTION_CASES))
def test_election_and_state_cases_agree(oracle: CedarOracle, case: str, variant: str) -> None:
    subject, state, consents, now, _ = ELECTION_CASES[case]
    app = APP_VARIANTS[variant]
    population = Population(
        catalog=CATALOG,
        apps=[app],
        subjects=[subject],
        consents=consents,
        states={subject.id: state},
    )
    ours = _election_decision(app, case)
    for windows in (None, tuple(CATALOG.elections)):
        read = CedarRead(
            "app_a",
            "s_adult",
            tuple(c.id for c in consents),
            "political_campaigning",
            tuple(ELECTION_FIELDS),
            now,
            election_ids=windows,
        )
        assert list(ours.allowed) == oracle.allowed_many(population, [read])[0], case


@pytest.mark.parametrize("variant", list(APP_VARIANTS))
def test_election_and_state_expectations(variant: str) -> None:
    """The named cases mean what the rule says, for each developer."""
    for case, (*_, allowed) in ELECTION_CASES.items():
        decision = _election_decision(APP_VARIANTS[variant], case)
        third_country = variant != "EEA developer"
        expected = () if third_country and case in WINDOW_CASES else allowed
        assert decision.allowed == expected, (case, variant)
