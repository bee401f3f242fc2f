"""Breaches in the library, on SQLite, PostgreSQL and the memory twin: the scope is exactly
what the ledger holds (shredded people counted, never listed), severity, FTC and Art. 83
figures follow from it with their inputs shown, the 72-hour clock and the late-reason rule
hold with the clock moved (time-machine), every step records its actor, containment opens
the breach in its own transaction, and erasure takes a person off the list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from consentgate.apps import approve_app, register_app
from consentgate.authz import Actor, Role
from consentgate.breach import (
    ASSESSING,
    CLOSED,
    NOT_NOTIFIABLE,
    NOTIFIED,
    BreachContext,
    MemoryBreachStore,
    SqlBreachStore,
    assess,
    breach_events,
    breach_subjects,
    close,
    contain,
    exposure,
    ftc,
    get_breach,
    notice_text,
    notify,
    open_breach,
    report,
    report_markdown,
    severity,
)
from consentgate.catalog import Catalog
from consentgate.clock import to_micros
from consentgate.detect import Finding
from consentgate.errors import AppNotFound, InvalidInput, InvalidTransition
from consentgate.ledger import Entry
from consentgate.policy import AppStatus, SubjectView
from consentgate.rights import shred_subject
from consentgate.settings import BreachPolicy
from consentgate.stores import MemoryStores, Stores
from consentgate.testing.sources import StaticSource
from tests.support import REGISTRATION

DPO = Actor.operator("op_dpo", Role.DPO)
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PEOPLE = {
    "b-de": SubjectView("b-de", "DE", date(1990, 1, 1)),
    "b-fr-minor": SubjectView("b-fr-minor", "FR", date(2013, 6, 1)),  # 13 in 2026; FR: 15
    "b-us": SubjectView("b-us", "US", date(1985, 3, 3)),
    "b-gone": SubjectView("b-gone", "IE", date(1970, 1, 1)),
}


def _context(catalog: Catalog, **policy: object) -> BreachContext:
    return BreachContext(
        catalog=catalog,
        source=StaticSource(PEOPLE),
        policy=BreachPolicy(**policy),  # type: ignore[arg-type]
    )


def _app(stores: Stores, catalog: Catalog) -> str:
    registered = register_app(stores.apps, catalog, REGISTRATION, now=START, actor=DPO)
    approve_app(stores.apps, catalog, registered.app.id, now=START, actor=DPO)
    return registered.app.id


def _disclose(
    stores: Stores,
    app_id: str,
    subject: str,
    fields: tuple[str, ...],
    at: datetime,
    country: str = "",
) -> None:
    stores.ledger.append(
        [
            Entry(
                subject_id=subject,
                app_id=app_id,
                fields=fields,
                purpose="academic_research",
                basis="consent",
                consent_id="cns_x",
                request_id="req_x",
                at_us=to_micros(at),
                country=country,
            )
        ]
    )


@pytest.fixture
def affected(bundle: Stores, catalog: Catalog) -> str:
    """An app that received: b-de twice (name, page_likes; then political_views), the
    French minor once (name), b-us once (birthday), b-gone once (name) who is then erased,
    and someone not on the platform; plus one disclosure outside the window. Only b-gone's
    leaf carries a country (format v2 ``cc``): it stays known after the erasure."""
    app_id = _app(bundle, catalog)
    hour = timedelta(hours=1)
    _disclose(bundle, app_id, "b-de", ("name", "page_likes"), START + hour)
    _disclose(bundle, app_id, "b-de", ("political_views",), START + 2 * hour)
    _disclose(bundle, app_id, "b-fr-minor", ("name",), START + 3 * hour)
    _disclose(bundle, app_id, "b-us", ("birthday",), START + 4 * hour)
    _disclose(bundle, app_id, "b-gone", ("name",), START + 5 * hour, country="IE")
    _disclose(bundle, app_id, "b-nobody", ("name",), START + 6 * hour)
    _disclose(bundle, app_id, "b-de", ("religion",), START + 30 * hour)  # after the window
    shred_subject(bundle, "b-gone", now=START + 7 * hour)
    return app_id


def _open(
    stores: Stores, catalog: Catalog, app_id: str, *, discovered: datetime, **policy: object
) -> str:
    breach = open_breach(
        stores,
        _context(catalog, **policy),
        app_id=app_id,
        window_start=START,
        window_end=START + timedelta(hours=24),
        discovered_at=discovered,
        description="the quiz app passed data on to a third party",
        actor=DPO,
        now=discovered + timedelta(minutes=5),
    )
    return breach.id


def test_the_scope_is_exactly_what_the_ledger_holds(
    bundle: Stores, catalog: Catalog, affected: str
) -> None:
    breach_id = _open(bundle, catalog, affected, discovered=START + timedelta(hours=25))
    breach = get_breach(bundle.breaches, breach_id)
    scope = breach.scope
    assert breach.status == ASSESSING
    assert scope["subjects"] == 5  # b-gone counted though erased; b-nobody counted
    assert scope["records"] == 6  # the leaves in the window (the erasure leaf is not one)
    assert scope["by_field"] == {"birthday": 1, "name": 4, "page_likes": 1, "political_views": 1}
    # b-gone's country from their leaf, though erased; b-nobody's is unknown
    assert scope["by_country"] == {"DE": 1, "FR": 1, "IE": 1, "US": 1, "unknown": 1}
    assert scope["special_category_subjects"] == 1
    assert scope["minors"] == 1
    assert scope["unlinked_subjects"] == 1
    assert scope["lead_authority"]["country"] == "IE"
    assert [(a["country"], a["subjects"], a["lead"]) for a in scope["authorities"]] == [
        ("DE", 1, False),
        ("FR", 1, False),
        ("IE", 1, True),
    ]
    _, people = breach_subjects(bundle.breaches, breach_id, after=None, limit=100)
    assert [p.subject_id for p in people] == ["b-de", "b-fr-minor", "b-nobody", "b-us"]
    de = people[0]
    assert de.fields == ("name", "page_likes", "political_views")
    assert de.records == 2
    assert (de.first_at, de.last_at) == (START + timedelta(hours=1), START + timedelta(hours=2))


def test_severity_ftc_and_exposure_show_their_inputs(
    bundle: Stores, catalog: Catalog, affected: str
) -> None:
    breach_id = _open(
        bundle,
        catalog,
        affected,
        discovered=START + timedelta(hours=25),
        annual_turnover_eur=1_000_000_000,
    )
    breach = get_breach(bundle.breaches, breach_id)
    assert breach.severity["dpc"] == 4  # political views: sensitive
    assert breach.severity["ei"] == 1.0  # names left
    assert breach.severity["cb"] == 0.25  # a known recipient, not malicious
    assert breach.severity["score"] == 4.25
    assert breach.severity["level"] == "very_high"
    assert breach.severity["inputs"]["categories"]["political_views"] == "sensitive"
    assert breach.ftc == {"covered": False, "threshold": 500, "report_due_at": None}
    assert breach.exposure["article"] == "83(5)"
    assert breach.exposure["max_eur"] == 40_000_000  # 4 % of 1 bn beats EUR 20 m

    simple = severity(fields=["page_likes"], minors=1, malicious=True, catalog=catalog)
    assert (simple["dpc"], simple["ei"], simple["cb"]) == (3, 0.5, 0.75)  # 2 + 1 for minors
    assert simple["score"] == 2.25
    assert simple["level"] == "medium"
    discovered = datetime(2026, 1, 1, tzinfo=UTC)
    assert ftc(subjects=500, discovered_at=discovered)["report_due_at"] == "2026-01-31T00:00:00Z"
    lower = exposure(special_category_subjects=0, turnover_eur=None)
    assert (lower["article"], lower["max_eur"]) == ("83(4)", 10_000_000)


def test_the_72_hour_clock_and_the_late_reason(
    bundle: Stores, catalog: Catalog, affected: str
) -> None:
    discovered = START + timedelta(hours=25)
    breach_id = _open(bundle, catalog, affected, discovered=discovered)
    breach = get_breach(bundle.breaches, breach_id)
    assert breach.authority_due_at == discovered + timedelta(hours=72)
    with time_machine.travel(discovered + timedelta(hours=71), tick=False):
        from consentgate.clock import utc_now

        assert breach.clock(utc_now()) == {"hours_left": 1.0, "overdue": False, "stopped": False}
    with time_machine.travel(discovered + timedelta(hours=80), tick=False):
        with pytest.raises(InvalidInput, match="late_reason"):
            notify(bundle, breach_id, authority="IE DPC", reference="BN-1", actor=DPO)
        assert get_breach(bundle.breaches, breach_id).status == ASSESSING  # nothing changed
        done = notify(
            bundle,
            breach_id,
            authority="IE DPC",
            reference="BN-1",
            late_reason="the app's developer disputed the logs for two days",
            actor=DPO,
        )
    assert done.status == NOTIFIED
    assert done.late_reason is not None
    assert done.clock(discovered + timedelta(hours=100))["overdue"] is True
    assert done.clock(discovered + timedelta(hours=100))["stopped"] is True

    on_time = _open(bundle, catalog, affected, discovered=START + timedelta(hours=26))
    with time_machine.travel(START + timedelta(hours=26 + 71), tick=False):
        assert notify(bundle, on_time, authority="IE DPC", reference="BN-2", actor=DPO).status == (
            NOTIFIED
        )


def test_assess_notify_close_and_every_step_names_its_actor(
    bundle: Stores, catalog: Catalog, affected: str
) -> None:
    discovered = START + timedelta(hours=25)
    breach_id = _open(bundle, catalog, affected, discovered=discovered)
    soon = discovered + timedelta(hours=1)
    with pytest.raises(InvalidTransition):
        close(bundle, breach_id, reason="done", actor=DPO, now=soon)
    found = assess(
        bundle, breach_id, notifiable=False, reason="all data public", actor=DPO, now=soon
    )
    assert found.status == NOT_NOTIFIABLE
    assert found.assessment is not None
    assert found.assessment["actor"] == "operator:op_dpo"
    again = assess(bundle, breach_id, notifiable=True, reason="it was not", actor=DPO, now=soon)
    assert again.status == ASSESSING
    notify(bundle, breach_id, authority="IE DPC", reference="R-9", actor=DPO, now=soon)
    with pytest.raises(InvalidTransition):
        assess(bundle, breach_id, notifiable=False, reason="x", actor=DPO, now=soon)
    assert close(bundle, breach_id, reason="done", actor=DPO, now=soon).status == CLOSED
    steps = [(e.event, e.actor) for e in breach_events(bundle.breaches, breach_id)]
    assert steps == [
        ("opened", "operator:op_dpo"),
        ("assessed", "operator:op_dpo"),
        ("assessed", "operator:op_dpo"),
        ("notified", "operator:op_dpo"),
        ("closed", "operator:op_dpo"),
    ]


def test_bad_input_opens_nothing(bundle: Stores, catalog: Catalog, affected: str) -> None:
    context = _context(catalog)
    before = len(bundle.breaches.page(limit=1000))
    base = {"window_start": START, "description": "x", "actor": DPO}
    with pytest.raises(AppNotFound):
        open_breach(bundle, context, app_id="app_missing", **base)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        open_breach(bundle, context, app_id=affected, **base, window_end=START)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        open_breach(
            bundle,
            context,
            app_id=affected,
            **base,  # type: ignore[arg-type]
            discovered_at=datetime.now(UTC) + timedelta(days=1),
        )
    assert len(bundle.breaches.page(limit=1000)) == before


def test_containment_opens_the_breach_in_its_own_transaction(
    bundle: Stores, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = _app(bundle, catalog)
    now = datetime.now(UTC)
    _disclose(bundle, app_id, "b-de", ("name", "religion"), now - timedelta(minutes=5))
    finding = Finding(app_id, "id_enumeration", 3600, {"explanation": "guessed ids"})
    kind = MemoryBreachStore if isinstance(bundle, MemoryStores) else SqlBreachStore

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the breach could not be written")

    with monkeypatch.context() as patch:
        patch.setattr(kind, "add", broken)
        with pytest.raises(RuntimeError):
            contain(bundle, finding, context=_context(catalog), now=now)
    assert bundle.apps.status(app_id) is AppStatus.APPROVED
    assert bundle.incidents.page(app_id=app_id) == []

    incident = contain(bundle, finding, context=_context(catalog), now=now)
    [breach] = bundle.breaches.page(app_id=app_id)
    assert breach.incident_id == incident.id
    assert breach.status == ASSESSING
    assert breach.discovered_at == now
    assert breach.opened_by == "system:harvest-detection"
    assert breach.scope["subjects"] == incident.subjects_disclosed == 1
    assert breach.severity["inputs"]["cb"]["malicious_intent"] == 0.5


def test_erasure_takes_a_person_off_the_list_and_the_counts_stay(
    bundle: Stores, catalog: Catalog, affected: str
) -> None:
    breach_id = _open(bundle, catalog, affected, discovered=START + timedelta(hours=25))
    shred_subject(bundle, "b-us")
    _, people = breach_subjects(bundle.breaches, breach_id, after=None, limit=100)
    assert "b-us" not in [p.subject_id for p in people]
    assert get_breach(bundle.breaches, breach_id).scope["subjects"] == 5


def test_the_report_and_a_notice(bundle: Stores, catalog: Catalog, affected: str) -> None:
    breach_id = _open(bundle, catalog, affected, discovered=START + timedelta(hours=25))
    breach = get_breach(bundle.breaches, breach_id)
    policy = BreachPolicy(dpo_name="Dana Officer", dpo_email="dana@platform.example")
    document = report(
        breach,
        breach_events(bundle.breaches, breach_id),
        app_name="Personality Quiz",
        catalog=catalog,
        policy=policy,
        now=START + timedelta(hours=26),
    )
    assert {"controller", "dpo", "nature", "likely_consequences", "measures_taken"} <= set(document)
    assert document["dpo"] == {"name": "Dana Officer", "email": "dana@platform.example"}
    assert document["nature"]["subjects"] == 5
    assert document["nature"]["records"] == 6
    markdown = report_markdown(document)
    for heading in ("(a) Nature", "(b) Data protection officer", "(c) Likely", "(d) Measures"):
        assert heading in markdown

    _, people = breach_subjects(bundle.breaches, breach_id, after=None, limit=100)
    by_id = {p.subject_id: p for p in people}
    text = notice_text(
        breach, by_id["b-de"], app_name="Personality Quiz", catalog=catalog, policy=policy
    )
    assert "name, page likes and political views" in text
    assert "sensitive information (political views)" in text
    assert "BfDI" in text  # their own country's authority
    assert "birthday" not in text  # b-us's field, not theirs
    minor = notice_text(
        breach, by_id["b-fr-minor"], app_name="Personality Quiz", catalog=catalog, policy=policy
    )
    assert "your name on" in minor
    assert "political" not in minor
    assert "CNIL" in minor
