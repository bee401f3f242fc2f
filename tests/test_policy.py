"""The decision rule, case by case: every reason code, its precedence, and failing closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from consentgate.catalog import Catalog, default_catalog
from consentgate.clock import to_micros
from consentgate.policy import AppStatus, AppView, ConsentView, Reason, SubjectView, decide

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
):  # type: ignore[no-untyped-def]
    return decide(
        app=app,
        subject=subject,
        consents=[consent()] if consents is None else consents,
        purpose=purpose,
        fields=FIELDS if fields is None else fields,
        catalog=catalog,
        now=now,
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
