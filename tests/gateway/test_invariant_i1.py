"""I1 as a property: random sequences of registrations, reviews, grants, withdrawals,
renewals, suspensions, clock moves and reads, run against the real library on a real
database. After every read, the released fields are exactly those an independent model of
the same history says are covered, at that instant, by a live consent of the subject the
record describes (and nothing else may be released)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from consentgate.apps import approve_app, register_app, reinstate_app, reject_app, suspend_app
from consentgate.catalog import Catalog, default_catalog
from consentgate.consent import (
    ConsentPolicy,
    ReceiptSigner,
    grant_consent,
    renew_consent,
    withdraw_consent,
)
from consentgate.errors import ConsentGateError
from consentgate.gateway import evaluate_access
from consentgate.sources.synthetic import PlatformSource, generate_platform
from consentgate.storage import Database, make_engine, migrate
from consentgate.stores import Stores, open_stores
from tests.support import NOW
from tests.support import OPERATOR as ACTOR

CATALOG = default_catalog()
RELEASABLE = [n for n, spec in CATALOG.fields.items() if not spec.forbidden_to_third_parties]
ALL_FIELDS = list(CATALOG.fields)
PURPOSES = list(CATALOG.purposes)
TTL = timedelta(days=90)
TALLY: dict[str, int] = {"reads": 0, "released": 0}
HISTORIES_SEED = int(
    "13488620658254960556015565258796619064032052438307896567001007155482181219894965015753527648369729868836840299109812"
)
STEPS = [
    timedelta(microseconds=1),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=30),
    timedelta(days=89),
    timedelta(days=90),
    timedelta(days=365),
]


@dataclass
class ModelApp:
    purposes: set[str]
    requested: list[str]
    approved: set[str] = field(default_factory=set)
    status: str = "pending"


@dataclass
class ModelConsent:
    subject: str
    app: str
    purpose: str
    fields: set[str]
    explicit: bool
    parental: bool
    granted: datetime
    expires: datetime
    withdrawn: datetime | None = None


@dataclass
class World:
    stores: Stores
    source: PlatformSource
    signer: ReceiptSigner
    catalog: Catalog
    subjects: dict[str, tuple[str, date]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('i1') / 'i1.db'}")
    migrate(engine)
    generate_platform(engine, subjects=300, seed=5, catalog=CATALOG)
    source = PlatformSource(engine, catalog=CATALOG)
    attributes = source.attributes([str(i) for i in range(1, 301)])
    # a handful of subjects: minors around their birthdays and adults, plus one unknown id
    chosen = sorted(attributes.values(), key=lambda s: (s.birth_date, s.id), reverse=True)[:6]
    chosen += sorted(attributes.values(), key=lambda s: s.id)[:4]
    subjects = {s.id: (s.country or "", s.birth_date) for s in chosen if s.birth_date}
    db = Database(engine)
    return World(open_stores(db), source, ReceiptSigner.load_or_create(db), CATALOG, subjects)


def _is_minor(country: str, birth: date, on: date) -> bool:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return age < CATALOG.age_of_consent(country or None)


def machine_for(world: World) -> Callable[[], RuleBasedStateMachine]:
    subject_ids = [*world.subjects, "999999"]

    # The histories' seed, pinned: derandomize alone derives it from this class's source, so
    # any edit of the machine (moving the library onto stores did) drew other histories, and
    # the thresholds at the end were met only for the seed it happened to have. This is that
    # seed (the one the machine had before issue 10).
    @seed(HISTORIES_SEED)
    class ConsentMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.now = NOW
            self.apps: dict[str, ModelApp] = {}
            self.consents: dict[str, ModelConsent] = {}

        @initialize(
            purposes=st.sets(st.sampled_from(PURPOSES), min_size=1, max_size=3),
            fields=st.lists(st.sampled_from(RELEASABLE), min_size=1, max_size=6, unique=True),
        )
        def start_with_an_approved_app(self, purposes: set[str], fields: list[str]) -> None:
            """Histories are more telling when an approved app exists from the start."""
            app_id = self._register(purposes, fields)
            approve_app(world.stores.apps, world.catalog, app_id, now=self.now, actor=ACTOR)
            self.apps[app_id].approved = set(fields)
            self.apps[app_id].status = "approved"

        @rule(
            purposes=st.sets(st.sampled_from(PURPOSES), min_size=1, max_size=3),
            fields=st.lists(st.sampled_from(RELEASABLE), min_size=1, max_size=6, unique=True),
        )
        def register(self, purposes: set[str], fields: list[str]) -> None:
            self._register(purposes, fields)

        def _register(self, purposes: set[str], fields: list[str]) -> str:
            # a political app names its sponsor (drawn from nothing: the histories stay put)
            political = (
                {"sponsor": {"name": "party", "country": "DE"}, "funding_statement": "dues"}
                if "political_campaigning" in purposes
                else {}
            )
            registered = register_app(
                world.stores.apps,
                world.catalog,
                {
                    "name": "model app",
                    "developer": {"name": "dev", "email": "d@x.example", "country": "DE"},
                    "purposes": sorted(purposes),
                    "fields": dict.fromkeys(fields, "needed"),
                    "retention_days": 30,
                    "privacy_policy_url": "https://x.example/p",
                    **political,
                },
                now=self.now,
                actor=ACTOR,
            )
            self.apps[registered.app.id] = ModelApp(purposes=set(purposes), requested=fields)
            return registered.app.id

        @precondition(lambda self: any(a.status == "pending" for a in self.apps.values()))
        @rule(data=st.data(), subset=st.booleans(), reject=st.booleans())
        def review(self, data: st.DataObject, subset: bool, reject: bool) -> None:
            pending = [i for i, a in self.apps.items() if a.status == "pending"]
            app_id = data.draw(st.sampled_from(pending))
            model = self.apps[app_id]
            if reject:
                reject_app(world.stores.apps, app_id, reason="no", now=self.now, actor=ACTOR)
                model.status = "rejected"
                return
            fields = None
            if subset:
                fields = data.draw(
                    st.lists(st.sampled_from(model.requested), min_size=1, unique=True)
                )
            approve_app(
                world.stores.apps, world.catalog, app_id, fields=fields, now=self.now, actor=ACTOR
            )
            model.approved = set(fields or model.requested)
            model.status = "approved"

        @precondition(lambda self: bool(self.apps))
        @rule(
            data=st.data(),
            subject=st.sampled_from(subject_ids),
            plausible=st.booleans(),
            explicit=st.booleans(),
            parental=st.booleans(),
        )
        def grant(
            self,
            data: st.DataObject,
            subject: str,
            plausible: bool,
            explicit: bool,
            parental: bool,
        ) -> None:
            app_id = data.draw(st.sampled_from(list(self.apps)))
            self._grant(data, app_id, subject, plausible, explicit, parental)

        @precondition(lambda self: any(a.status == "approved" for a in self.apps.values()))
        @rule(
            data=st.data(),
            subject=st.sampled_from(subject_ids),
            explicit=st.booleans(),
            parental=st.booleans(),
        )
        def grant_to_an_approved_app(
            self, data: st.DataObject, subject: str, explicit: bool, parental: bool
        ) -> None:
            approved = [i for i, a in self.apps.items() if a.status == "approved"]
            app_id = data.draw(st.sampled_from(approved))
            self._grant(data, app_id, subject, True, explicit, parental)

        def _grant(
            self,
            data: st.DataObject,
            app_id: str,
            subject: str,
            plausible: bool,
            explicit: bool,
            parental: bool,
        ) -> None:
            model_app = self.apps[app_id]
            if plausible:  # what a real consent screen would offer for this app
                purpose = data.draw(st.sampled_from(sorted(model_app.purposes)))
                fields = data.draw(
                    st.lists(st.sampled_from(model_app.requested), min_size=1, unique=True)
                )
            else:
                purpose = data.draw(st.sampled_from(PURPOSES))
                fields = data.draw(
                    st.lists(st.sampled_from(ALL_FIELDS), min_size=1, max_size=5, unique=True)
                )
            request: dict[str, Any] = {
                "app_id": app_id,
                "purpose": purpose,
                "fields": fields,
                "explicit": explicit,
            }
            if parental:
                request["parental_consent"] = {
                    "guardian_name": "guardian",
                    "guardian_email": "g@x.example",
                    "method": "card check",
                    "verified_at": self.now.isoformat(),
                }
            try:
                consent = grant_consent(
                    world.stores.consents,
                    apps=world.stores.apps,
                    catalog=world.catalog,
                    source=world.source,
                    signer=world.signer,
                    subject_id=subject,
                    request=request,
                    policy=ConsentPolicy(ttl_days=90),
                    now=self.now,
                )
            except ConsentGateError as exc:
                TALLY[exc.error_code] = TALLY.get(exc.error_code, 0) + 1
                return  # refused grants leave no consent; the model records none
            TALLY["granted"] = TALLY.get("granted", 0) + 1
            self.consents[consent.id] = ModelConsent(
                subject=subject,
                app=app_id,
                purpose=purpose,
                fields=set(fields),
                explicit=explicit,
                parental=parental,
                granted=self.now,
                expires=self.now + TTL,
            )

        @precondition(lambda self: bool(self.consents))
        @rule(data=st.data())
        def withdraw(self, data: st.DataObject) -> None:
            consent_id = data.draw(st.sampled_from(list(self.consents)))
            model = self.consents[consent_id]
            try:
                withdraw_consent(
                    world.stores.consents,
                    subject_id=model.subject,
                    consent_id=consent_id,
                    now=self.now,
                )
            except ConsentGateError:
                assert model.withdrawn is not None
                return
            model.withdrawn = self.now

        @precondition(lambda self: bool(self.consents))
        @rule(data=st.data())
        def renew(self, data: st.DataObject) -> None:
            consent_id = data.draw(st.sampled_from(list(self.consents)))
            model = self.consents[consent_id]
            try:
                renew_consent(
                    world.stores.consents,
                    apps=world.stores.apps,
                    catalog=world.catalog,
                    source=world.source,
                    subject_id=model.subject,
                    consent_id=consent_id,
                    policy=ConsentPolicy(ttl_days=90),
                    now=self.now,
                )
            except ConsentGateError:
                return
            model.expires = self.now + TTL

        @precondition(lambda self: any(a.status == "approved" for a in self.apps.values()))
        @rule(data=st.data())
        def suspend(self, data: st.DataObject) -> None:
            approved = [i for i, a in self.apps.items() if a.status == "approved"]
            app_id = data.draw(st.sampled_from(approved))
            suspend_app(world.stores.apps, app_id, reason="harvesting", now=self.now, actor=ACTOR)
            self.apps[app_id].status = "suspended"

        @precondition(lambda self: any(a.status == "suspended" for a in self.apps.values()))
        @rule(data=st.data())
        def reinstate(self, data: st.DataObject) -> None:
            suspended = [i for i, a in self.apps.items() if a.status == "suspended"]
            app_id = data.draw(st.sampled_from(suspended))
            reinstate_app(world.stores.apps, app_id, now=self.now, actor=ACTOR)
            self.apps[app_id].status = "approved"

        @rule(step=st.sampled_from(STEPS))
        def advance_clock(self, step: timedelta) -> None:
            self.now += step

        @precondition(lambda self: bool(self.apps))
        @rule(
            data=st.data(),
            subject=st.sampled_from(subject_ids),
            fields=st.lists(st.sampled_from(ALL_FIELDS), min_size=1, max_size=6, unique=True),
        )
        def read(self, data: st.DataObject, subject: str, fields: list[str]) -> None:
            app_id = data.draw(st.sampled_from(list(self.apps)))
            purpose = data.draw(st.sampled_from(PURPOSES))
            self._read(app_id, subject, purpose, fields)

        @precondition(lambda self: bool(self.consents))
        @rule(
            data=st.data(),
            extra=st.lists(st.sampled_from(ALL_FIELDS), max_size=2, unique=True),
        )
        def read_under_a_granted_consent(self, data: st.DataObject, extra: list[str]) -> None:
            pick = self.consents[data.draw(st.sampled_from(list(self.consents)))]
            fields = data.draw(st.lists(st.sampled_from(sorted(pick.fields)), min_size=1))
            self._read(pick.app, pick.subject, pick.purpose, list(dict.fromkeys(fields + extra)))

        def _read(self, app_id: str, subject: str, purpose: str, fields: list[str]) -> None:
            decision = evaluate_access(
                world.stores,
                catalog=world.catalog,
                source=world.source,
                app_id=app_id,
                subject_id=subject,
                purpose=purpose,
                fields=fields,
                now=self.now,
            )
            expected = [f for f in fields if self.covered(subject, app_id, purpose, f)]
            assert list(decision.allowed) == expected
            TALLY["reads"] += 1
            TALLY["released"] += bool(expected)

        def covered(self, subject: str, app_id: str, purpose: str, name: str) -> bool:
            """The model's own account of I1 for one field."""
            app = self.apps[app_id]
            spec = CATALOG.fields[name]
            if app.status != "approved" or purpose not in app.purposes:
                return False
            if spec.forbidden_to_third_parties or name not in app.approved:
                return False
            if subject not in world.subjects:
                return False
            country, birth = world.subjects[subject]
            minor = _is_minor(country, birth, self.now.date())
            needs_explicit = spec.special or CATALOG.purposes[purpose].explicit_required
            return any(
                c.subject == subject
                and c.app == app_id
                and c.purpose == purpose
                and name in c.fields
                and c.granted <= self.now < c.expires
                and (c.withdrawn is None or self.now < c.withdrawn)
                and (c.explicit or not needs_explicit)
                and (c.parental or not minor)
                for c in self.consents.values()
            )

        @invariant()
        def clock_only_moves_forward(self) -> None:
            assert self.now >= NOW

    return ConsentMachine


@pytest.mark.slow  # a simulation: forty random histories of fifty steps on a real database
def test_i1_every_released_field_is_covered_by_the_subjects_own_live_consent(
    world: World,
) -> None:
    run_state_machine_as_test(
        machine_for(world),
        settings=settings(
            max_examples=40,
            stateful_step_count=50,
            deadline=None,
            derandomize=True,  # the same histories every run: the thresholds below are stable
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # the property is only worth something if reads did release data along the way
    assert TALLY["reads"] > 100, TALLY
    assert TALLY["released"] > 15, TALLY
