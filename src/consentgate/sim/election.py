"""``consentgate simulate election``: a political campaign during the 2019 European
Parliament election window, against a real server whose clock is inside it (the demo
clock, ``CONSENTGATE_DEMO_CLOCK``).

Two campaign apps are registered for ``political_campaigning`` with a sponsor and a funding
statement: one by a developer in the EU (Ireland), one by a developer outside it (the
United States). Many people gave both of them explicit consent — with a guardian's consent
where they were below the age of digital consent — shortly *before* the window opened,
covering special-category fields (political views, religion) too. Inside the window each
app then reads every one of them, for every field, over HTTP, trying each forbidden path at
once:

- special-category values of people in a country with an open window;
- anything of people below that window's voting age;
- anything at all, for the app whose developer is outside the EU/EEA.

People in countries with no open window (outside the EU) are read too: for them the
election rules do not apply, and behaviour is as outside any window. Some new consents
are also tried inside the window for the forbidden paths (they are refused up front).

The result counts forbidden values released (all must be 0), what was released and
refused, and the register: its counts, and whether a recount from the ledger agrees.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from consentgate.clock import age_on, ymd
from consentgate.consent import grant_consent
from consentgate.errors import GrantRefused
from consentgate.policy import SubjectView
from consentgate.sim.world import SimApp, World, checked, open_world
from consentgate.transparency import recount_register

__all__ = ["DEMO_CLOCK", "ElectionResult", "run_election"]

POLITICAL = "political_campaigning"
# inside the 2019 EP window (23 February to 26 May 2019): five weeks before the first polling
DEMO_CLOCK = datetime(2019, 4, 15, 9, 0, tzinfo=UTC)
GRANTED_BEFORE = timedelta(days=55)  # consents given a few days before the window opened
FIELDS = ["name", "current_city", "page_likes", "birthday", "political_views", "religion"]
GUARDIAN = {
    "guardian_name": "A. Guardian",
    "guardian_email": "guardian@family.example",
    "method": "verified card payment",
}


@dataclass
class ElectionResult:
    date: str
    subjects: int
    people: dict[str, int]
    reads: int
    values_released: int
    forbidden_values_released: dict[str, int]
    refusals: dict[str, int]
    withheld: dict[str, int]
    in_window_grants_tried: int
    in_window_grants_refused: int
    register: dict[str, Any] = field(default_factory=dict)
    recount: dict[str, Any] = field(default_factory=dict)

    @property
    def forbidden_total(self) -> int:
        return sum(self.forbidden_values_released.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "subjects": self.subjects,
            "people": self.people,
            "reads": self.reads,
            "values_released": self.values_released,
            "forbidden_values_released": self.forbidden_values_released,
            "forbidden_values_released_total": self.forbidden_total,
            "refusals": self.refusals,
            "withheld": self.withheld,
            "in_window_grants_tried": self.in_window_grants_tried,
            "in_window_grants_refused": self.in_window_grants_refused,
            "register": self.register,
            "recount": self.recount,
            "register_equals_recount": bool(self.recount.get("ok")),
        }


@dataclass(frozen=True)
class _Person:
    id: str
    country: str
    in_window: bool  # a window is open for their country on the day
    voter: bool  # has reached that window's voting age (or no window applies)
    minor: bool  # below the age of digital consent when they consented


def run_election(*, subjects: int = 5000, people: int = 400, seed: int = 1) -> ElectionResult:
    """Run the campaign (``people`` per group: voters, under-age, outside any window)."""
    rng = random.Random(seed)
    env = {"CONSENTGATE_TRANSPARENCY_PERIOD_SECONDS": "0"}
    with open_world(subjects=subjects, seed=seed, detect=False, clock=DEMO_CLOCK, env=env) as world:
        day = DEMO_CLOCK.date()
        granted_at = DEMO_CLOCK - GRANTED_BEFORE
        chosen = _people(world, rng, subjects=subjects, per_group=people, granted_at=granted_at)
        sponsor = {
            "funding_statement": "Paid for by the campaign's members: EUR 40,000 for 2019.",
        }
        eu = world.register(
            "Vote Together",
            purposes=[POLITICAL],
            fields=FIELDS,
            developer_country="IE",
            extra={**sponsor, "sponsor": {"name": "Together Party", "country": "IE"}},
        )
        offshore = world.register(
            "Offshore Outreach",
            purposes=[POLITICAL],
            fields=FIELDS,
            developer_country="US",
            extra={**sponsor, "sponsor": {"name": "Outreach PAC", "country": "US"}},
        )
        for app in (eu, offshore):
            _consent(world, app, chosen, now=granted_at)
        tried, refused = _grants_in_window(world, eu, chosen, now=DEMO_CLOCK)
        tally = _Tally()
        for app in (eu, offshore):
            for person in chosen:
                _read(world, app, person, third_country=app is offshore, tally=tally)
        _wait_for_checkpoint(world)
        register = checked(world.http.get("/v1/transparency/political", params={"limit": 1000}))
        recount = recount_register(world.http, operator_key=world.admin_key)
        return ElectionResult(
            date=day.isoformat(),
            subjects=subjects,
            people=dict(Counter(_group(p) for p in chosen)),
            reads=tally.reads,
            values_released=tally.released,
            forbidden_values_released=dict(tally.forbidden),
            refusals=dict(tally.refusals),
            withheld=dict(tally.withheld),
            in_window_grants_tried=tried,
            in_window_grants_refused=refused,
            register={
                "checkpoint": register["checkpoint"],
                "min_cell_size": register["min_cell_size"],
                "apps": [
                    {
                        "app_id": e["app_id"],
                        "name": e["name"],
                        "people": e["people"],
                        "countries": e["countries"],
                    }
                    for e in register["data"]
                ],
            },
            recount={
                "ok": recount.ok,
                "leaves_checked": recount.leaves,
                "problems": list(recount.problems),
            },
        )


def _group(person: _Person) -> str:
    if not person.in_window:
        return "outside_windows"
    return "voters" if person.voter else "under_voting_age"


def _people(
    world: World, rng: random.Random, *, subjects: int, per_group: int, granted_at: datetime
) -> list[_Person]:
    """Up to ``per_group`` people of each group, born by the day they consented."""
    everyone = [str(i) for i in range(1, subjects + 1)]
    groups: dict[str, list[_Person]] = {}
    for subject in world.runtime.source.attributes(everyone).values():
        person = _classify(world, subject, granted_at=granted_at)
        if person is not None:
            groups.setdefault(_group(person), []).append(person)
    chosen: list[_Person] = []
    for name in sorted(groups):
        members = groups[name]
        chosen += rng.sample(members, min(per_group, len(members)))
    return sorted(chosen, key=lambda p: int(p.id))


def _classify(world: World, subject: SubjectView, *, granted_at: datetime) -> _Person | None:
    catalog = world.runtime.catalog
    birth = subject.birth_date
    if birth is None or birth > granted_at.date():
        return None  # not born yet in 2019 (the demo platform's ages are of 2026)
    voting_age = catalog.election_voting_age(subject.country, ymd(DEMO_CLOCK.date()))
    age = age_on(birth, DEMO_CLOCK.date())
    return _Person(
        id=subject.id,
        country=subject.country or "",
        in_window=voting_age is not None,
        voter=voting_age is None or age >= voting_age,
        minor=age_on(birth, granted_at.date()) < catalog.age_of_consent(subject.country),
    )


def _grant(world: World, app: SimApp, person: _Person, fields: list[str], *, now: datetime) -> None:
    """The person's explicit political consent to ``fields`` (a guardian's too, for a
    minor), through the library as the consent endpoint does it."""
    runtime = world.runtime
    request: dict[str, Any] = {
        "app_id": app.id,
        "purpose": POLITICAL,
        "fields": fields,
        "explicit": True,
    }
    if person.minor:
        request["parental_consent"] = {**GUARDIAN, "verified_at": now.isoformat()}
    grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=person.id,
        request=request,
        policy=runtime.consent_policy,
        now=now,
    )


def _consent(world: World, app: SimApp, chosen: list[_Person], *, now: datetime) -> None:
    for person in chosen:
        _grant(world, app, person, FIELDS, now=now)


def _grants_in_window(
    world: World, app: SimApp, chosen: list[_Person], *, now: datetime
) -> tuple[int, int]:
    """New consents inside the window on the forbidden paths: special categories for
    voters, anything for the under-age. Returns (tried, refused with ELECTION_SAFEGUARD)."""
    tried = refused = 0
    for person in [p for p in chosen if p.in_window][:60]:
        fields = ["political_views", "religion"] if person.voter else ["name"]
        tried += 1
        try:
            _grant(world, app, person, fields, now=now)
        except GrantRefused as exc:
            refused += exc.error_code == "ELECTION_SAFEGUARD"
    return tried, refused


@dataclass
class _Tally:
    reads: int = 0
    released: int = 0
    forbidden: Counter[str] = field(
        default_factory=lambda: Counter(
            {"special_category": 0, "under_voting_age": 0, "third_country_developer": 0}
        )
    )
    refusals: Counter[str] = field(default_factory=Counter)
    withheld: Counter[str] = field(default_factory=Counter)


def _read(
    world: World, app: SimApp, person: _Person, *, third_country: bool, tally: _Tally
) -> None:
    catalog = world.runtime.catalog
    scoped = world.runtime.sealer.scoped_id(app.id, person.id)
    response = world.http.get(
        f"/v1/subjects/{scoped}",
        headers=app.headers,
        params={"fields": ",".join(FIELDS), "purpose": POLITICAL},
    )
    tally.reads += 1
    if response.status_code == 403:
        tally.refusals[response.json()["error"]["code"]] += 1
        return
    body = checked(response)
    released = [name for name in body["data"] if name in FIELDS]
    tally.released += len(released)
    tally.withheld.update(body["withheld"].values())
    if not person.in_window:
        return  # no election rule applies to them
    tally.forbidden["special_category"] += sum(1 for f in released if catalog.fields[f].special)
    if not person.voter:
        tally.forbidden["under_voting_age"] += len(released)
    if third_country:
        tally.forbidden["third_country_developer"] += len(released)


def _wait_for_checkpoint(world: World, *, timeout: float = 30.0) -> None:
    """Until the server has signed a checkpoint covering every leaf written."""
    wanted = world.runtime.stores.ledger.size()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        note = world.http.get("/v1/ledger/checkpoint")
        if note.status_code == 200 and int(note.text.split("\n")[1]) >= wanted:
            return
        time.sleep(0.1)
    raise RuntimeError("the server signed no checkpoint covering every disclosure")
