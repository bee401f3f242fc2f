"""The decision rule, case by case: every reason code, its precedence, and failing closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import time_machine

from consentgate.catalog import Catalog, default_catalog
from consentgate.clock import to_micros, utc_now
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

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CATALOG = default_catalog()
FIELDS = ["name", "birthday", "current_city", "political_views", "religion", "messages"]
APP = AppView(
    id="app_q",
    status=AppStatus.APPROVED,
    purposes=frozenset({"academic_research", "political_campaigning"}),
    approved_mask=CATALOG.mask(["name", "birthday", "current_city", "political_views", "religion"]),
)
ADULT = SubjectView(id="7", country="DE", birth_date=date(1990, 5, 1))


def consent(**changes: object) -> ConsentView:
    base = ConsentView(
        id="cns_1",
        subject_id="7",
        app_id="app_q",
        purpose="academic_research",
        fields_mask=CATALOG.mask(["name", "birthday", "political_views"]),
        explicit=False,
        parental=False,
        granted_us=to_micros(NOW - timedelta(days=1)),
        expires_us=to_micros(NOW + timedelta(days=89)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def run(
    *,
    app: AppView | None = APP,
    subject: SubjectView | None = ADULT,
    consents: list[ConsentView] | None = None,
    purpose: str = "academic_research",
    fields: list[str] | None = None,
    catalog: Catalog = CATALOG,
    now: datetime = NOW,
    state: SubjectState = SubjectState.NONE,
) -> Decision:
    return decide(
        app=app,
        subject=subject,
        consents=[consent()] if consents is None else consents,
        purpose=purpose,
        fields=FIELDS if fields is None else fields,
        catalog=catalog,
        now=now,
        state=state,
    )


def test_releases_only_consented_approved_fields_and_explains_the_rest() -> None:
    decision = run()
    assert decision.allowed == ("name", "birthday")
    assert decision.withheld == {
        "current_city": Reason.FIELD_NOT_CONSENTED,
        "political_views": Reason.EXPLICIT_CONSENT_REQUIRED,
        "religion": Reason.FIELD_NOT_CONSENTED,
        "messages": Reason.FIELD_FORBIDDEN,
    }
    assert decision.consent_for == {"name": "cns_1", "birthday": "cns_1"}
    assert decision.reason is None


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (None, Reason.APP_NOT_APPROVED),
        (replace(APP, status=AppStatus.PENDING), Reason.APP_NOT_APPROVED),
        (replace(APP, status=AppStatus.REJECTED), Reason.APP_NOT_APPROVED),
        (replace(APP, status=AppStatus.SUSPENDED), Reason.APP_SUSPENDED),
        (replace(APP, purposes=frozenset({"analytics"})), Reason.PURPOSE_NOT_DECLARED),
    ],
)
def test_app_level_reasons_withhold_everything(app: AppView | None, reason: Reason) -> None:
    decision = run(app=app)
    assert decision.allowed == ()
    assert decision.reason is reason
    assert set(decision.withheld.values()) == {reason}


def test_unknown_subject_and_never_consented_subject_look_the_same() -> None:
    unknown = run(subject=None)
    never = run(consents=[])
    assert unknown == never
    assert unknown.reason is Reason.NO_CONSENT


def test_a_friends_consent_never_covers_the_subject() -> None:
    friends = consent(subject_id="8")
    assert run(consents=[friends]).reason is Reason.NO_CONSENT


def test_another_apps_consent_never_covers_this_app() -> None:
    assert run(consents=[consent(app_id="app_other")]).reason is Reason.NO_CONSENT


def test_withdrawn_consent_is_no_consent_from_the_instant_of_withdrawal() -> None:
    assert run(consents=[consent(withdrawn_us=to_micros(NOW))]).reason is Reason.NO_CONSENT
    later = consent(withdrawn_us=to_micros(NOW) + 1)
    assert run(consents=[later]).allowed == ("name", "birthday")


def test_expiry_is_exclusive_at_the_exact_instant() -> None:
    expiring = consent(expires_us=to_micros(NOW))
    assert run(consents=[expiring]).reason is Reason.CONSENT_EXPIRED
    assert run(consents=[expiring], now=NOW - timedelta(microseconds=1)).allowed


def test_a_consent_granted_in_the_future_does_not_count_yet() -> None:
    future = consent(granted_us=to_micros(NOW) + 1)
    assert run(consents=[future]).reason is Reason.NO_CONSENT


def test_purpose_not_consented() -> None:
    other = consent(purpose="political_campaigning")
    assert run(consents=[other]).reason is Reason.PURPOSE_NOT_CONSENTED


def test_explicit_consent_releases_special_categories() -> None:
    decision = run(consents=[consent(explicit=True)], fields=["political_views"])
    assert decision.allowed == ("political_views",)


def test_purposes_that_require_explicit_consent_apply_it_to_every_field() -> None:
    plain = consent(purpose="political_campaigning")
    decision = run(consents=[plain], purpose="political_campaigning", fields=["name"])
    assert decision.reason is Reason.EXPLICIT_CONSENT_REQUIRED
    explicit = consent(purpose="political_campaigning", explicit=True)
    assert run(consents=[explicit], purpose="political_campaigning", fields=["name"]).allowed


def test_field_not_approved_even_when_consented() -> None:
    narrow = replace(APP, approved_mask=CATALOG.mask(["name"]))
    decision = run(app=narrow, fields=["birthday"])
    assert decision.reason is Reason.FIELD_NOT_APPROVED


@pytest.mark.parametrize(
    ("birth", "country", "minor"),
    [
        (date(2010, 11, 27), "DE", False),  # 16 today: exactly the age of consent
        (date(2010, 11, 28), "DE", True),  # 16 tomorrow
        (date(2012, 11, 27), "AT", False),  # 14 today in Austria
        (date(2012, 11, 28), "AT", True),
        (date(2013, 11, 27), "GB", False),  # 13 in the UK
        (date(2010, 11, 28), "US", True),  # not in the table: the default 16
    ],
)
def test_parental_consent_below_the_countrys_age_of_digital_consent(
    birth: date, country: str, minor: bool
) -> None:
    subject = SubjectView(id="7", country=country, birth_date=birth)
    decision = run(subject=subject, fields=["name"])
    if minor:
        assert decision.reason is Reason.PARENTAL_CONSENT_REQUIRED
        assert run(subject=subject, consents=[consent(parental=True)], fields=["name"]).allowed
    else:
        assert decision.allowed == ("name",)


def test_unknown_birth_date_needs_parental_consent_fail_closed() -> None:
    subject = SubjectView(id="7", country="DE", birth_date=None)
    assert run(subject=subject, fields=["name"]).reason is Reason.PARENTAL_CONSENT_REQUIRED


def test_any_of_several_consents_may_cover_a_field() -> None:
    narrow = consent(id="cns_a", fields_mask=CATALOG.mask(["name"]))
    explicit = consent(id="cns_b", fields_mask=CATALOG.mask(["religion"]), explicit=True)
    decision = run(consents=[narrow, explicit], fields=["name", "religion"])
    assert decision.allowed == ("name", "religion")
    assert decision.consent_for == {"name": "cns_a", "religion": "cns_b"}


def test_nothing_released_carries_the_first_requested_fields_reason() -> None:
    decision = run(fields=["messages", "religion"])
    assert decision.reason is Reason.FIELD_FORBIDDEN
    assert run(fields=["religion", "messages"]).reason is Reason.FIELD_NOT_CONSENTED


def test_duplicate_fields_are_decided_once() -> None:
    assert run(fields=["name", "name"]).allowed == ("name",)


@pytest.mark.parametrize(
    "broken",
    [
        {"purpose": "no_such_purpose"},
        {"fields": ["name", "no_such_field"]},
        {"now": datetime(2026, 11, 27, 12, 0)},  # naive: refuses to guess the zone
        {"consents": [object()]},
    ],
)
def test_errors_inside_the_rule_deny_everything(broken: dict[str, object]) -> None:
    decision = run(**broken)  # type: ignore[arg-type]
    assert decision.allowed == ()
    assert decision.reason is Reason.DECISION_ERROR


def test_no_state_is_the_default_state() -> None:
    assert SubjectState() == SubjectState.NONE
    assert not SubjectState.NONE.restricted
    assert SubjectState.NONE.objections == frozenset()
    assert run(state=SubjectState.NONE) == run()


RESTRICTED = SubjectState(restricted=True)


@pytest.mark.parametrize("purpose", ["academic_research", "political_campaigning"])
def test_a_restricted_subject_releases_nothing_for_any_purpose(purpose: str) -> None:
    own = consent(purpose=purpose, explicit=True, fields_mask=CATALOG.mask(FIELDS[:-1]))
    assert run(consents=[own], purpose=purpose).allowed
    decision = run(consents=[own], purpose=purpose, state=RESTRICTED)
    assert decision.allowed == ()
    assert decision.reason is Reason.SUBJECT_RESTRICTED
    assert set(decision.withheld.values()) == {Reason.SUBJECT_RESTRICTED}


def test_a_restriction_holds_for_every_app() -> None:
    other = replace(APP, id="app_other")
    own = consent(app_id="app_other")
    assert run(app=other, consents=[own], state=RESTRICTED).reason is Reason.SUBJECT_RESTRICTED


def test_an_objection_refuses_the_objected_purpose_only() -> None:
    objecting = SubjectState(objections=frozenset({"academic_research"}))
    decision = run(state=objecting)
    assert decision.allowed == ()
    assert decision.reason is Reason.OBJECTION
    assert set(decision.withheld.values()) == {Reason.OBJECTION}
    political = consent(purpose="political_campaigning", explicit=True)
    other = run(consents=[political], purpose="political_campaigning", state=objecting)
    assert other.allowed == ("name", "birthday", "political_views")


def test_an_app_without_the_persons_consent_learns_only_no_consent() -> None:
    """Restriction, objection and election safeguards are said only to an app that holds a
    consent of the person (I6: unknown and never-consented stay alike)."""
    told = SubjectState(restricted=True, objections=frozenset({"academic_research"}))
    assert run(consents=[], state=told) == run(consents=[])
    assert run(subject=None, state=told) == run(consents=[])
    assert run(consents=[consent(subject_id="8")], state=told).reason is Reason.NO_CONSENT
    assert run(consents=[consent(withdrawn_us=to_micros(NOW))], state=told).reason is (
        Reason.NO_CONSENT
    )
    in_window = datetime(2019, 5, 1, 12, tzinfo=UTC)
    minor = SubjectView(id="7", country="DE", birth_date=date(2005, 1, 1))
    decision = run(subject=minor, consents=[], purpose="political_campaigning", now=in_window)
    assert decision.reason is Reason.NO_CONSENT


def test_the_403_precedence_one_reason_at_a_time() -> None:
    """Every whole-request reason in the contract's order: each step removes the reason the
    previous answer gave, and the next one in the order shows."""
    day = datetime(2019, 5, 26, 12, tzinfo=UTC)
    adult = SubjectView(id="7", country="DE", birth_date=date(1990, 5, 1))
    research = consent(
        purpose="academic_research",
        granted_us=to_micros(day - timedelta(days=1)),
        expires_us=to_micros(day + timedelta(days=89)),
    )
    expired = replace(
        research,
        id="cns_old",
        purpose="political_campaigning",
        explicit=True,
        granted_us=to_micros(day - timedelta(days=91)),
        expires_us=to_micros(day - timedelta(days=1)),
    )
    live = replace(research, id="cns_live", purpose="political_campaigning", explicit=True)
    app = replace(APP, status=AppStatus.SUSPENDED, purposes=frozenset({"academic_research"}))
    state = SubjectState(restricted=True, objections=frozenset({"political_campaigning"}))
    consents: list[ConsentView] = []
    steps = [
        (Reason.APP_SUSPENDED, lambda: None),
        (Reason.APP_NOT_APPROVED, lambda: replace(app, status=AppStatus.PENDING)),
        (Reason.PURPOSE_NOT_DECLARED, lambda: replace(app, status=AppStatus.APPROVED)),
        (
            Reason.NO_CONSENT,
            lambda: replace(
                app, purposes=frozenset({"academic_research", "political_campaigning"})
            ),
        ),
        (Reason.SUBJECT_RESTRICTED, lambda: consents.append(research)),
        (Reason.OBJECTION, lambda: replace(state, restricted=False)),
        (Reason.ELECTION_SAFEGUARD, lambda: replace(state, objections=frozenset())),
        (Reason.PURPOSE_NOT_CONSENTED, lambda: replace(app, developer_country="DE")),
        (Reason.CONSENT_EXPIRED, lambda: consents.append(expired)),
        (None, lambda: consents.append(live)),
    ]
    for expected, change in steps:
        changed = change()
        if isinstance(changed, AppView):
            app = changed
        elif isinstance(changed, SubjectState):
            state = changed
        decision = run(
            app=app,
            subject=adult,
            consents=list(consents),
            purpose="political_campaigning",
            fields=["name"],
            now=day,
            state=state,
        )
        assert decision.reason is expected, (expected, decision)
    assert decision.allowed == ("name",)


# --- election-period safeguards (default catalog: the 2019 European Parliament election) ---

IN_WINDOW = datetime(2019, 5, 26, 12, tzinfo=UTC)
EEA_APP = replace(APP, developer_country="DE")
POLITICAL_FIELDS = ["name", "political_views", "religion"]


def political(now: datetime = IN_WINDOW, **changes: object) -> ConsentView:
    values: dict[str, object] = {
        "purpose": "political_campaigning",
        "explicit": True,
        "fields_mask": CATALOG.mask(POLITICAL_FIELDS),
        "granted_us": to_micros(now - timedelta(days=120)),
        "expires_us": to_micros(now + timedelta(days=120)),
    }
    values.update(changes)
    return consent(**values)


def campaign(
    *,
    app: AppView = EEA_APP,
    subject: SubjectView = ADULT,
    now: datetime = IN_WINDOW,
    fields: list[str] | None = None,
    consents: list[ConsentView] | None = None,
) -> Decision:
    return run(
        app=app,
        subject=subject,
        consents=[political(now)] if consents is None else consents,
        purpose="political_campaigning",
        fields=POLITICAL_FIELDS if fields is None else fields,
        now=now,
    )


def test_inside_a_window_special_categories_are_withheld() -> None:
    decision = campaign()
    assert decision.allowed == ("name",)
    assert decision.withheld == {
        "political_views": Reason.ELECTION_SAFEGUARD,
        "religion": Reason.ELECTION_SAFEGUARD,
    }
    only = campaign(fields=["religion", "name"]).withheld
    assert only == {"religion": Reason.ELECTION_SAFEGUARD}
    assert campaign(fields=["religion"]).reason is Reason.ELECTION_SAFEGUARD


def test_the_per_field_safeguard_says_nothing_about_consent() -> None:
    """A special field is ELECTION_SAFEGUARD whether or not it is consented or explicit:
    it comes right after the app's own limits (forbidden, not approved), before consent."""
    narrow = political(fields_mask=CATALOG.mask(["name"]))
    assert campaign(consents=[narrow]).withheld == campaign().withheld
    unapproved = replace(EEA_APP, approved_mask=CATALOG.mask(["name", "religion"]))
    assert campaign(app=unapproved).withheld == {
        "political_views": Reason.FIELD_NOT_APPROVED,
        "religion": Reason.ELECTION_SAFEGUARD,
    }
    assert campaign(fields=["messages"]).withheld == {"messages": Reason.FIELD_FORBIDDEN}


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        (datetime(2019, 2, 22, 23, 59, 59, 999999, tzinfo=UTC), False),  # the day before
        (datetime(2019, 2, 23, 0, 0, tzinfo=UTC), True),  # the first day
        (datetime(2019, 5, 26, 23, 59, 59, 999999, tzinfo=UTC), True),  # the last day
        (datetime(2019, 5, 27, 0, 0, tzinfo=UTC), False),  # the day after
        # the UTC date counts, not the zone the time was given in
        (datetime(2019, 5, 27, 1, 0, tzinfo=timezone(timedelta(hours=2))), True),
        (datetime(2019, 5, 26, 23, 30, tzinfo=timezone(timedelta(hours=-2))), False),
        (datetime(2019, 2, 22, 23, 30, tzinfo=timezone(timedelta(hours=-1))), True),
    ],
)
def test_the_window_includes_its_first_and_last_day(now: datetime, inside: bool) -> None:
    decision = campaign(now=now)
    assert decision.allowed == (("name",) if inside else tuple(POLITICAL_FIELDS))


@pytest.mark.parametrize(
    ("country", "birth", "refused"),
    [
        ("DE", date(2001, 5, 26), False),  # 18 on the day: exactly the voting age
        ("DE", date(2001, 5, 27), True),  # 18 tomorrow
        ("AT", date(2003, 5, 26), False),  # Austria votes at 16
        ("AT", date(2003, 5, 27), True),
        ("MT", date(2003, 5, 26), False),
        ("GR", date(2002, 5, 26), False),  # Greece at 17
        ("GR", date(2002, 5, 27), True),
        ("DE", None, True),  # unknown birth date counts as below (fail closed)
        (None, date(2001, 5, 26), False),  # unknown country: the highest open voting age, 18
        (None, date(2002, 5, 26), True),  # 17: enough in Greece, not everywhere
        ("US", date(2005, 5, 26), False),  # no window for the US: the v1 rule only
    ],
)
def test_subjects_below_the_voting_age_on_the_day_get_nothing(
    country: str | None, birth: date | None, refused: bool
) -> None:
    subject = SubjectView(id="7", country=country, birth_date=birth)
    consents = [political(parental=True)]  # so the age of digital consent is not what refuses
    decision = campaign(subject=subject, consents=consents, fields=["name"])
    if refused:
        assert decision.reason is Reason.ELECTION_SAFEGUARD
        assert decision.withheld == {"name": Reason.ELECTION_SAFEGUARD}
    else:
        assert decision.allowed == ("name",)


@pytest.mark.parametrize(
    ("developer_country", "refused"),
    [
        ("DE", False),
        ("NO", False),  # EEA
        ("is", False),  # codes are read case-insensitively
        ("LI", False),
        ("GB", True),  # outside the EU/EEA now, whatever it was in 2019
        ("US", True),
        ("CH", True),
        (None, True),  # unknown counts as outside
        ("", True),
    ],
)
def test_apps_of_developers_outside_the_eea_get_nothing_political(
    developer_country: str | None, refused: bool
) -> None:
    app = replace(APP, developer_country=developer_country)
    decision = campaign(app=app, fields=["name"])
    assert (decision.reason is Reason.ELECTION_SAFEGUARD) is refused
    assert bool(decision.allowed) is not refused


def test_unknown_country_falls_under_every_open_window() -> None:
    nowhere = SubjectView(id="7", country=None, birth_date=date(1990, 5, 1))
    assert campaign(subject=nowhere).withheld["religion"] is Reason.ELECTION_SAFEGUARD
    outside = campaign(subject=nowhere, now=datetime(2019, 6, 1, tzinfo=UTC))
    assert outside.allowed == tuple(POLITICAL_FIELDS)


def test_the_safeguards_govern_political_campaigning_only() -> None:
    third_country = replace(APP, developer_country="US")
    teen = SubjectView(id="7", country="DE", birth_date=date(2002, 1, 1))
    research = consent(
        explicit=True,
        parental=True,
        fields_mask=CATALOG.mask(POLITICAL_FIELDS),
        granted_us=to_micros(IN_WINDOW - timedelta(days=1)),
        expires_us=to_micros(IN_WINDOW + timedelta(days=1)),
    )
    decision = run(
        app=third_country,
        subject=teen,
        consents=[research],
        fields=POLITICAL_FIELDS,
        now=IN_WINDOW,
    )
    assert decision.allowed == tuple(POLITICAL_FIELDS)


def test_a_country_with_no_window_is_unaffected_while_others_vote() -> None:
    american = SubjectView(id="7", country="US", birth_date=date(1990, 5, 1))
    third_country = replace(APP, developer_country="US")
    assert campaign(app=third_country, subject=american).allowed == tuple(POLITICAL_FIELDS)


def test_today_no_safeguard_applies() -> None:
    """No built-in window is open today: political reads follow the v1 rule."""
    now = utc_now()
    third_country = replace(APP, developer_country=None)
    assert campaign(app=third_country, now=now).allowed == tuple(POLITICAL_FIELDS)


def test_the_clock_moved_into_the_2019_window() -> None:
    with time_machine.travel(datetime(2019, 5, 23, 9, 0, tzinfo=UTC), tick=False) as traveller:
        assert campaign(now=utc_now()).allowed == ("name",)
        assert campaign(app=APP, now=utc_now()).reason is Reason.ELECTION_SAFEGUARD
        traveller.shift(timedelta(days=4))  # 27 May: the window has closed
        assert campaign(app=APP, now=utc_now()).allowed == tuple(POLITICAL_FIELDS)
