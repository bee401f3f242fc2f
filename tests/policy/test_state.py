"""The decision's subject state and election-period safeguards as properties over random
inputs to the pure rule: a restricted person releases nothing, an objected purpose releases
nothing, inside an election window no special-category value, no under-age person and no
third-country developer gets political data, and outside every window the decision is the
one a catalog without elections gives. The window test here is written out afresh, not
borrowed from the catalog, so that the properties do not grade the code by itself."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from typing import Any

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from consentgate.catalog import Catalog, default_catalog, parse_catalog
from consentgate.clock import age_on, to_micros
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


def _catalog_data() -> dict[str, Any]:
    text = resources.files("consentgate").joinpath("catalogs/default.toml").read_text("utf-8")
    return tomllib.loads(text)


def _with_elections(elections: dict[str, Any]) -> Catalog:
    data = _catalog_data()
    data["elections"] = elections
    return parse_catalog(data, source="test catalog")


BUILT_IN = default_catalog()
OVERLAPPING = _with_elections(
    {
        "national": {
            "countries": ["DE", "FR", "NL"],
            "start": date(2026, 3, 1),
            "end": date(2026, 3, 31),
            "voting_age": 18,
        },
        "local": {
            "countries": ["DE", "AT"],
            "start": date(2026, 3, 20),
            "end": date(2026, 4, 10),
            "voting_age": 16,
        },
        "strict": {
            "countries": ["FR"],
            "start": date(2026, 3, 25),
            "end": date(2026, 3, 26),
            "voting_age": 21,
        },
    }
)
NO_ELECTIONS = _with_elections({})
CATALOGS = {"built-in": BUILT_IN, "overlapping": OVERLAPPING}
FIELDS = list(BUILT_IN.fields)
SPECIAL = {name for name, spec in BUILT_IN.fields.items() if spec.special}
PURPOSES = list(BUILT_IN.purposes)
POLITICAL = "political_campaigning"
EEA = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
EEA |= {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
EEA |= {"IS", "LI", "NO"}
COUNTRIES = ["DE", "AT", "FR", "NL", "GR", "MT", "GB", "US", "NO", "de", None]
DEVELOPERS = ["DE", "DE", "DE", "FR", "FR", "NO", "is", "LI", "GB", "CH", "US", "", None]
TALLY: dict[str, int] = {}


def _edge_days(catalog: Catalog) -> list[date]:
    """Each window's first and last day, the days either side, one inside; a far day."""
    days = []
    for window in catalog.elections.values():
        days += [window.start, window.start + (window.end - window.start) / 2, window.end]
        days += [window.start - timedelta(days=1), window.end + timedelta(days=1)]
    return [*days, date(2026, 12, 2)]


def _one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws (sampled_from, so the common case is the simple one
    hypothesis leans towards)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def reads(draw: st.DrawFn, catalog: Catalog) -> dict[str, Any]:
    """One read: an app (mostly approved), a subject near a voting-age birthday, consents
    of the subject (now and then a friend's), a purpose (often political), a moment on a
    day near a window edge (sometimes written in another zone)."""
    day = draw(st.sampled_from(_edge_days(catalog)))
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + draw(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1, microseconds=-1))
    )
    if draw(_one_in(4)):
        moment = moment.astimezone(timezone(timedelta(hours=draw(st.integers(-12, 14)))))
    age = draw(st.sampled_from([40, 18, 21, 17, 16, 15, 40, 40]))
    birth = day.replace(year=day.year - age) + timedelta(days=draw(st.sampled_from([0, -1, 1])))
    subject = SubjectView(
        id="7",
        country=draw(st.sampled_from(COUNTRIES)),
        birth_date=None if draw(_one_in(8)) else birth,
    )
    purpose = draw(st.sampled_from([POLITICAL] * 8 + PURPOSES))
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5))
    approved = set(FIELDS[:3]) if draw(_one_in(5)) else set(fields) - {"messages"}
    app = AppView(
        id="app_p",
        status=draw(st.sampled_from([AppStatus.APPROVED] * 8 + list(AppStatus))),
        purposes=frozenset({purpose, *draw(st.sets(st.sampled_from(PURPOSES), max_size=2))}),
        approved_mask=BUILT_IN.mask(approved),
        developer_country=draw(st.sampled_from(DEVELOPERS)),
    )
    now_us = to_micros(moment)
    consents = [
        ConsentView(
            id=f"cns_{index}",
            subject_id="8" if draw(_one_in(6)) else "7",
            app_id="app_p",
            purpose=draw(st.sampled_from(PURPOSES)) if draw(_one_in(5)) else purpose,
            fields_mask=BUILT_IN.mask(
                draw(st.sets(st.sampled_from(FIELDS))) if draw(_one_in(3)) else set(fields)
            ),
            explicit=not draw(_one_in(10)),
            parental=draw(st.sampled_from([True, False])),
            granted_us=now_us - draw(st.integers(0, 100 * 86_400_000_000)),
            expires_us=now_us + draw(st.integers(1, 100 * 86_400_000_000)),
            withdrawn_us=None,
        )
        for index in range(draw(st.sampled_from([1, 1, 1, 2, 0])))
    ]
    objected = draw(st.sampled_from(PURPOSES))
    state = SubjectState(
        restricted=draw(_one_in(20)),
        objections=frozenset({objected}) if draw(_one_in(2)) else frozenset(),
    )
    return {
        "app": app,
        "subject": subject,
        "consents": consents,
        "purpose": purpose,
        "fields": fields,
        "now": moment,
        "state": state,
    }


def _decide(read: dict[str, Any], catalog: Catalog, **changes: Any) -> Decision:
    return decide(**{**read, **changes}, catalog=catalog)


def _voting_age_in_force(read: dict[str, Any], catalog: Catalog) -> int | None:
    """The model's own account of the windows: the highest voting age of the windows open
    on the read's UTC day that list the subject's country (all of them for an unknown one)."""
    if read["purpose"] != POLITICAL:
        return None
    day = read["now"].astimezone(UTC).date()
    country = read["subject"].country
    ages = [
        window.voting_age
        for window in catalog.elections.values()
        if window.start <= day <= window.end
        and (country is None or country.upper() in window.countries)
    ]
    return max(ages, default=None)


def _count(key: str) -> None:
    TALLY[key] = TALLY.get(key, 0) + 1


def _check(
    prop: Callable[[dict[str, Any], Catalog], None], examples: int = 400
) -> Callable[[], None]:
    cases = st.sampled_from(list(CATALOGS.values())).flatmap(
        lambda catalog: st.tuples(reads(catalog), st.just(catalog))
    )

    # a fixed seed: ``derandomize`` alone digests the strategy's repr, which names the
    # flatmap lambda's address, so the examples (and the tallies below) changed run to run
    @seed(20261202)
    @settings(max_examples=examples, deadline=None, database=None)
    @given(case=cases)
    def run(case: tuple[dict[str, Any], Catalog]) -> None:
        prop(*case)

    return run


def test_a_restricted_person_releases_nothing_and_says_only_what_no_consent_says() -> None:
    def prop(read: dict[str, Any], catalog: Catalog) -> None:
        restricted = replace(read["state"], restricted=True)
        decision = _decide(read, catalog, state=restricted)
        assert decision.allowed == ()
        assert decision.reason in {
            Reason.APP_NOT_APPROVED,
            Reason.APP_SUSPENDED,
            Reason.PURPOSE_NOT_DECLARED,
            Reason.NO_CONSENT,
            Reason.SUBJECT_RESTRICTED,
        }
        if _decide(read, catalog, state=SubjectState.NONE).allowed:
            _count("restriction withheld a release")

    _check(prop)()
    assert TALLY.get("restriction withheld a release", 0) > 50, TALLY


def test_an_objected_purpose_releases_nothing() -> None:
    def prop(read: dict[str, Any], catalog: Catalog) -> None:
        objecting = replace(read["state"], objections=frozenset({read["purpose"]}))
        decision = _decide(read, catalog, state=objecting)
        assert decision.allowed == ()
        unobjected = replace(read["state"], objections=frozenset(), restricted=False)
        if _decide(read, catalog, state=unobjected).allowed:
            _count("objection withheld a release")
        # an objection to other purposes changes nothing for this one
        others = frozenset(p for p in PURPOSES if p != read["purpose"])
        assert _decide(read, catalog, state=replace(unobjected, objections=others)) == (
            _decide(read, catalog, state=unobjected)
        )

    _check(prop)()
    assert TALLY.get("objection withheld a release", 0) > 50, TALLY


def test_inside_a_window_no_special_value_no_minor_no_third_country_developer() -> None:
    def prop(read: dict[str, Any], catalog: Catalog) -> None:
        voting_age = _voting_age_in_force(read, catalog)
        decision = _decide(read, catalog)
        if voting_age is None:
            return
        _count("political read in a window")
        assert not SPECIAL & set(decision.allowed)
        birth = read["subject"].birth_date
        day = read["now"].astimezone(UTC).date()
        if birth is None or age_on(birth, day) < voting_age:
            assert decision.allowed == ()
        developer = read["app"].developer_country
        if not developer or developer.upper() not in EEA:
            assert decision.allowed == ()
        if decision.allowed:
            _count("released in a window")
        if set(decision.withheld.values()) >= {Reason.ELECTION_SAFEGUARD}:
            _count("safeguard applied")

    _check(prop, examples=1000)()
    assert TALLY.get("political read in a window", 0) > 150, TALLY
    assert TALLY.get("released in a window", 0) > 15, TALLY
    assert TALLY.get("safeguard applied", 0) > 50, TALLY


def test_outside_every_window_elections_change_nothing() -> None:
    def prop(read: dict[str, Any], catalog: Catalog) -> None:
        with_elections = _decide(read, catalog)
        without = _decide(read, NO_ELECTIONS)
        # elections only ever take away
        assert set(with_elections.allowed) <= set(without.allowed)
        if _voting_age_in_force(read, catalog) is None:
            assert with_elections == without
            _count("outside a window")
        elif with_elections != without:
            _count("a window changed the decision")

    _check(prop, examples=1000)()
    assert TALLY.get("outside a window", 0) > 150, TALLY
    assert TALLY.get("a window changed the decision", 0) > 30, TALLY


def test_subject_state_only_ever_takes_away() -> None:
    def prop(read: dict[str, Any], catalog: Catalog) -> None:
        with_state = _decide(read, catalog)
        without = _decide(read, catalog, state=SubjectState.NONE)
        assert set(with_state.allowed) <= set(without.allowed)
        assert _decide(read, catalog, state=SubjectState()) == without

    _check(prop)()
