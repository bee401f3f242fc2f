"""The election-period safeguards through the real read path (``Gateway.read_subject``: the
decision loader, the planner, the recorder), on memory stores with a source of our own.

- Property: inside a window for the subject's country, no special-category value, nothing
  of a person below the voting age, nothing for an app whose developer is outside the
  EU/EEA is ever released for ``political_campaigning``; outside every window each read is
  exactly what it is with no windows in the catalog. Every disclosure records the subject's
  country (the leaf's ``cc``).
- Time-machine: the gateway's own clock (no ``now`` passed) moved to the edges of the 2019
  window; and today, no built-in window is open.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.apps import approve_app, register_app
from consentgate.authz import Actor, Role
from consentgate.catalog import EEA_COUNTRIES, POLITICAL_PURPOSE, Catalog, default_catalog
from consentgate.clock import age_on, ymd
from consentgate.consent import Consent
from consentgate.errors import AccessDenied
from consentgate.gateway import DisclosureRow, Gateway, IdSealer
from consentgate.gateway.results import SubjectRead
from consentgate.ledger import country_code
from consentgate.policy import SubjectView
from consentgate.stores import MemoryStores

CATALOG = default_catalog()
NO_WINDOWS = dataclasses.replace(CATALOG, elections={})
OPERATOR = Actor.operator("op_tests", Role.ADMIN)
RELEASABLE = [n for n, spec in CATALOG.fields.items() if not spec.forbidden_to_third_parties]
SPECIAL = {n for n, spec in CATALOG.fields.items() if spec.special}
GRANTED = datetime(2018, 12, 1, tzinfo=UTC)  # before any built-in window
WINDOW_DAY = datetime(2019, 4, 15, 9, 0, tzinfo=UTC)
AFTER_WINDOW = datetime(2019, 6, 15, 9, 0, tzinfo=UTC)
# window countries (18, 16, 17), and some with no window; "" is an unknown country
COUNTRIES = ["DE", "FR", "AT", "MT", "GR", "GB", "US", "CH", "BR", ""]
DEVELOPERS = ["IE", "DE", "NO", "LI", "US", "GB", "CH", "CN"]


class OnePerson:
    """The source: one person, with the attributes a test gives them."""

    def __init__(self, subject: SubjectView) -> None:
        self.subject = subject

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Any]:
        return {s: {f: f"<{f}>" for f in fields} for s in subject_ids if s == self.subject.id}

    def friends(self, subject_id: str) -> list[str]:
        return []

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]:
        return {s: self.subject for s in subject_ids if s == self.subject.id}


class Rows:
    def __init__(self) -> None:
        self.rows: list[DisclosureRow] = []

    async def record(self, rows: Sequence[DisclosureRow]) -> None:
        self.rows.extend(rows)


@dataclasses.dataclass
class World:
    stores: MemoryStores
    app_id: str
    source: OnePerson
    sealer: IdSealer

    def gateway(self, catalog: Catalog, recorder: Rows) -> Gateway:
        return Gateway(
            stores=self.stores,
            catalog=catalog,
            source=self.source,
            sealer=self.sealer,
            recorder=recorder,
            reads_on_loop=True,
        )


_APPS: dict[str, tuple[MemoryStores, str]] = {}


def _app(developer: str) -> tuple[MemoryStores, str]:
    """One app per developer country (registration hashes a secret: slow), on its stores."""
    if developer in _APPS:
        return _APPS[developer]
    stores = MemoryStores()
    app_id = register_app(
        stores.apps,
        CATALOG,
        {
            "name": "Campaign",
            "developer": {"name": "Dev", "email": "dev@campaign.example", "country": developer},
            "purposes": [POLITICAL_PURPOSE, "analytics"],
            "fields": dict.fromkeys(RELEASABLE, "campaign"),
            "retention_days": 30,
            "privacy_policy_url": "https://campaign.example/privacy",
            "sponsor": {"name": "Party", "country": developer},
            "funding_statement": "members' dues",
        },
        actor=OPERATOR,
        now=GRANTED,
    ).app.id
    approve_app(stores.apps, CATALOG, app_id, actor=OPERATOR, now=GRANTED)
    _APPS[developer] = (stores, app_id)
    return stores, app_id


def world(
    *,
    developer: str,
    subject: SubjectView,
    consented: Sequence[str],
    explicit: bool = True,
    parental: bool = True,
) -> World:
    """An app by a developer of ``developer`` approved for every releasable field and the
    political purpose, and one person's consent to it (written as a store keeps it, so that
    every combination reaches the decision). Each call's person is someone new."""
    stores, app_id = _app(developer)
    subject = dataclasses.replace(subject, id=f"{subject.id}-{os.urandom(6).hex()}")
    guardian = {"guardian_name": "G", "guardian_email": "g@x.example", "method": "card"}
    stores.consents.add(
        Consent(
            id="cns_" + os.urandom(6).hex(),
            subject_id=subject.id,
            app_id=app_id,
            purpose=POLITICAL_PURPOSE,
            fields=tuple(consented),
            explicit=explicit,
            parental_consent=guardian if parental else None,
            notice_version="1",
            granted_at=GRANTED,
            renewed_at=None,
            expires_at=GRANTED + timedelta(days=3650),
            withdrawn_at=None,
            receipt="r",
        )
    )
    return World(stores, app_id, OnePerson(subject), IdSealer(os.urandom(64)))


def read(
    w: World, catalog: Catalog, fields: Sequence[str], *, now: datetime | None
) -> tuple[SubjectRead | str, list[DisclosureRow]]:
    """The read's result, or the 403's code; and the disclosures it recorded."""
    recorder = Rows()
    gateway = w.gateway(catalog, recorder)

    async def go() -> SubjectRead:
        return await gateway.read_subject(
            app_id=w.app_id,
            scoped_id=w.sealer.scoped_id(w.app_id, w.source.subject.id),
            purpose=POLITICAL_PURPOSE,
            fields=fields,
            request_id="req_test",
            now=now,
        )

    try:
        return asyncio.run(go()), recorder.rows
    except AccessDenied as exc:
        return exc.error_code, recorder.rows


moments = st.one_of(
    st.datetimes(
        min_value=datetime(2019, 1, 1), max_value=datetime(2019, 7, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(  # the windows' edges
        [
            datetime(2019, 2, 22, 23, 59, 59, tzinfo=UTC),
            datetime(2019, 2, 23, 0, 0, tzinfo=UTC),
            datetime(2019, 5, 26, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2019, 5, 27, 0, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
        ]
    ),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    country=st.sampled_from(COUNTRIES),
    birth=st.one_of(st.none(), st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 12, 31))),
    developer=st.sampled_from(DEVELOPERS),
    consented=st.lists(st.sampled_from(RELEASABLE), min_size=1, max_size=6, unique=True),
    requested=st.lists(st.sampled_from(RELEASABLE), min_size=1, max_size=6, unique=True),
    explicit=st.booleans(),
    parental=st.booleans(),
    now=moments,
)
def test_inside_a_window_nothing_forbidden_is_ever_released_and_outside_nothing_changes(
    country: str,
    birth: date | None,
    developer: str,
    consented: list[str],
    requested: list[str],
    explicit: bool,
    parental: bool,
    now: datetime,
) -> None:
    subject = SubjectView("p", country or None, birth)
    w = world(
        developer=developer,
        subject=subject,
        consented=consented,
        explicit=explicit,
        parental=parental,
    )
    result, rows = read(w, CATALOG, requested, now=now)
    released = result.data if isinstance(result, SubjectRead) else {}
    voting_age = CATALOG.election_voting_age(subject.country, ymd(now.date()))
    if voting_age is not None:  # inside a window for this person
        assert not SPECIAL & set(released)
        if birth is None or age_on(birth, now.date()) < voting_age:
            assert released == {}
            assert result == "ELECTION_SAFEGUARD" or not isinstance(result, SubjectRead)
        if developer not in EEA_COUNTRIES:
            assert released == {}
    else:  # outside every window: exactly as without windows
        again, _ = read(w, NO_WINDOWS, requested, now=now)
        if isinstance(result, SubjectRead):
            assert isinstance(again, SubjectRead)
            assert (again.data, again.withheld) == (result.data, result.withheld)
        else:
            assert again == result
    if released:
        assert [r.country for r in rows] == [country_code(country)]
    else:
        assert rows == []


# --- the gateway's own clock, moved (time-machine) -----------------------------------------

VOTER = SubjectView("v1", "DE", date(1980, 3, 1))  # 39 in 2019
SEVENTEEN_DE = SubjectView("m1", "DE", date(2001, 9, 1))  # 17 in April 2019: under 18
SEVENTEEN_AT = SubjectView("m2", "AT", date(2001, 9, 1))  # ... and over Austria's 16
WANTED = ["name", "current_city", "political_views"]


def _released(w: World, *, when: datetime) -> dict[str, Any] | str:
    with time_machine.travel(when, tick=False):
        result, _ = read(w, CATALOG, WANTED, now=None)  # the gateway reads its own clock
    return result.data if isinstance(result, SubjectRead) else result


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (datetime(2019, 2, 22, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2019, 2, 23, 0, 0, tzinfo=UTC), True),
        (WINDOW_DAY, True),
        (datetime(2019, 5, 26, 23, 59, 59, tzinfo=UTC), True),
        (datetime(2019, 5, 27, 0, 0, tzinfo=UTC), False),
    ],
)
def test_the_window_opens_and_closes_on_its_days(when: datetime, inside: bool) -> None:
    voter = world(developer="IE", subject=VOTER, consented=WANTED)
    offshore = world(developer="US", subject=VOTER, consented=WANTED)
    minor = world(developer="IE", subject=SEVENTEEN_DE, consented=WANTED)
    everything = {f: f"<{f}>" for f in WANTED}
    if inside:
        assert _released(voter, when=when) == {"name": "<name>", "current_city": "<current_city>"}
        assert _released(offshore, when=when) == "ELECTION_SAFEGUARD"
        assert _released(minor, when=when) == "ELECTION_SAFEGUARD"
    else:
        assert _released(voter, when=when) == everything
        assert _released(offshore, when=when) == everything
        assert _released(minor, when=when) == everything


def test_each_country_has_its_own_voting_age() -> None:
    austrian = world(developer="AT", subject=SEVENTEEN_AT, consented=["name"])
    german = world(developer="AT", subject=SEVENTEEN_DE, consented=["name"])
    assert _released(austrian, when=WINDOW_DAY) == {"name": "<name>"}
    assert _released(german, when=WINDOW_DAY) == "ELECTION_SAFEGUARD"


def test_today_no_built_in_window_is_open() -> None:
    offshore = world(developer="US", subject=SEVENTEEN_DE, consented=WANTED)
    result, rows = read(offshore, CATALOG, WANTED, now=None)  # the real clock
    assert isinstance(result, SubjectRead)
    assert result.data == {f: f"<{f}>" for f in WANTED}
    assert [r.country for r in rows] == ["DE"]


def test_other_purposes_are_not_touched_by_windows() -> None:
    w = world(developer="US", subject=SEVENTEEN_DE, consented=WANTED)
    stores = w.stores
    person = w.source.subject.id
    consent = next(iter(stores.consents.page(subject_id=person)))
    stores.consents.add(dataclasses.replace(consent, id="cns_analytics", purpose="analytics"))
    recorder = Rows()
    gateway = w.gateway(CATALOG, recorder)

    async def go() -> SubjectRead:
        return await gateway.read_subject(
            app_id=w.app_id,
            scoped_id=w.sealer.scoped_id(w.app_id, person),
            purpose="analytics",
            fields=WANTED,
            request_id="req_test",
            now=WINDOW_DAY,
        )

    assert asyncio.run(go()).data == {f: f"<{f}>" for f in WANTED}
