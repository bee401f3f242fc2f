"""The catalog: the built-in file is valid; every broken file gets one clear error."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from consentgate.catalog import (
    EEA_COUNTRIES,
    GDPR_DEADLINE,
    DeadlineSpec,
    default_catalog,
    load_catalog,
    parse_catalog,
)
from consentgate.clock import utc_now, ymd
from consentgate.errors import CatalogInvalid, UnknownField, UnknownPurpose


def _valid() -> dict[str, Any]:
    text = (Path(__file__).parents[1] / "src/consentgate/catalogs/default.toml").read_text()
    return tomllib.loads(text)


def test_default_catalog_covers_the_demo_platform() -> None:
    catalog = default_catalog()
    assert set(catalog.fields) == {
        "name",
        "email",
        "birthday",
        "gender",
        "current_city",
        "country",
        "relationship_status",
        "page_likes",
        "friends",
        "posts",
        "political_views",
        "religion",
        "messages",
    }
    assert set(catalog.purposes) == {
        "service_provision",
        "academic_research",
        "analytics",
        "personalised_advertising",
        "political_campaigning",
    }
    assert catalog.purposes["political_campaigning"].explicit_required
    assert catalog.fields["political_views"].special
    assert catalog.fields["religion"].special
    assert catalog.fields["messages"].forbidden_to_third_parties
    assert all(p.dpv.startswith("https://w3id.org/dpv") for p in catalog.purposes.values())


def test_age_of_consent_by_country_with_default() -> None:
    catalog = default_catalog()
    assert catalog.age_of_consent("AT") == 14
    assert catalog.age_of_consent("de") == 16
    assert catalog.age_of_consent("GB") == 13
    assert catalog.age_of_consent("US") == 16  # not listed: the default
    assert catalog.age_of_consent(None) == 16


def test_bitmasks_round_trip_and_reject_unknown_names() -> None:
    catalog = default_catalog()
    mask = catalog.mask(["religion", "name"])
    assert catalog.names(mask) == ["name", "religion"]
    assert mask & catalog.special_mask == catalog.field_bits["religion"]
    with pytest.raises(UnknownField):
        catalog.mask(["shoe_size"])
    with pytest.raises(UnknownPurpose):
        catalog.require_purpose("mind_reading")


def test_rectifiable_fields_of_the_default_catalog() -> None:
    catalog = default_catalog()
    assert catalog.names(catalog.rectifiable_mask) == [
        "name",
        "email",
        "birthday",
        "gender",
        "current_city",
        "country",
        "relationship_status",
        "political_views",
        "religion",
    ]
    assert catalog.rectifiable("religion")
    assert not catalog.rectifiable("friends")
    with pytest.raises(UnknownField):
        catalog.rectifiable("shoe_size")


def test_the_eea_is_the_eu_27_with_iceland_liechtenstein_and_norway() -> None:
    assert len(EEA_COUNTRIES) == 30
    assert {"IS", "LI", "NO", "DE", "GR", "MT"} <= EEA_COUNTRIES
    assert not {"GB", "CH", "US", "EL"} & EEA_COUNTRIES


EU_2019 = (EEA_COUNTRIES - {"IS", "LI", "NO"}) | {"GB"}


def test_default_catalog_carries_the_2019_european_parliament_election() -> None:
    catalog = default_catalog()
    covered: set[str] = set()
    for window in catalog.elections.values():
        assert (window.start, window.end) == (date(2019, 2, 23), date(2019, 5, 26))
        assert not covered & window.countries, "each country has one window"
        covered |= window.countries
    assert covered == EU_2019
    assert len(covered) == 28
    ages = {code: catalog.election_voting_age(code, 20190526) for code in EU_2019}
    assert {code for code, age in ages.items() if age != 18} == {"AT", "MT", "GR"}
    assert (ages["AT"], ages["MT"], ages["GR"]) == (16, 16, 17)


@pytest.mark.parametrize(
    ("country", "day", "age"),
    [
        ("DE", 20190223, 18),  # the first day
        ("DE", 20190222, None),  # the day before
        ("DE", 20190526, 18),  # the last day
        ("DE", 20190527, None),  # the day after
        ("de", 20190401, 18),
        ("AT", 20190401, 16),
        ("US", 20190401, None),  # no window for the US
        ("NO", 20190401, None),  # in the EEA, but not an EU election
        (None, 20190401, 18),  # unknown country: every open window, the highest age
        ("", 20190401, 18),
        (None, 20190527, None),
    ],
)
def test_the_voting_age_that_applies_on_a_day(
    country: str | None, day: int, age: int | None
) -> None:
    assert default_catalog().election_voting_age(country, day) == age


def test_no_default_window_is_open_today() -> None:
    catalog = default_catalog()
    for day in (ymd(utc_now().date()), 20261202, 20261231):
        for country in [*EU_2019, "US", None]:
            assert catalog.election_voting_age(country, day) is None


def test_overlapping_windows_apply_the_highest_voting_age() -> None:
    data = _valid()
    data["elections"]["de_local"] = {
        "countries": ["DE"],
        "start": date(2019, 5, 1),
        "end": date(2019, 6, 30),
        "voting_age": 21,
    }
    catalog = parse_catalog(data, source="overlap.toml")
    assert catalog.election_voting_age("DE", 20190526) == 21
    assert catalog.election_voting_age("DE", 20190601) == 21
    assert catalog.election_voting_age("FR", 20190526) == 18
    assert catalog.election_voting_age(None, 20190526) == 21


def test_request_deadlines_per_country() -> None:
    catalog = default_catalog()
    month = DeadlineSpec(unit="months", period=1, extendable_by=2)
    assert catalog.deadline("DE") == month  # the EEA row
    assert catalog.deadline("no") == month
    assert catalog.deadline("GB") == month
    assert catalog.deadline("US") == DeadlineSpec(unit="days", period=45, extendable_by=45)
    assert catalog.deadline("BR") == GDPR_DEADLINE  # the default row
    assert catalog.deadline(None) == GDPR_DEADLINE


def test_a_catalog_without_the_new_tables_loads_with_their_defaults() -> None:
    data = _valid()
    del data["elections"], data["deadlines"]
    for spec in data["fields"].values():
        spec.pop("rectifiable", None)
    catalog = parse_catalog(data, source="v1.toml")
    assert catalog.elections == {}
    assert catalog.election_voting_age(None, 20190526) is None
    assert catalog.deadline("DE") == GDPR_DEADLINE
    assert catalog.rectifiable_mask == 0


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = _valid()
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "entry", "problem"),
    [
        ("version", _DELETE, "version", "required"),
        ("format", 2, "format", "Input should be 1"),
        ("fields.email.special", True, "fields.email.special", "not a known setting"),
        ("fields.religion.special_category", "gossip", "fields.religion.special_category", ""),
        ("fields.name.category", "not an iri", "fields.name.category", "pattern"),
        ("purposes.analytics.legal_basis", "whim", "purposes.analytics.legal_basis", "whim"),
        ("purposes.analytics.explicit_required", "yes", "purposes.analytics.explicit_required", ""),
        ("age_of_consent.AT", 9, "age_of_consent.AT", "greater than or equal to 13"),
        ("age_of_consent.Austria", 14, "age_of_consent.Austria", "ISO 3166-1"),
        ("fields.Bad-Name", {"category": "https://x.example"}, "fields.Bad-Name", "invalid id"),
        ("fields.friends.rectifiable", "yes", "fields.friends.rectifiable", "boolean"),
        (
            "elections.ep2019.countries",
            ["DE", "Germany"],
            "elections.ep2019.countries",
            "'Germany'",
        ),
        ("elections.ep2019.countries", ["DE", "de"], "elections.ep2019.countries", "'de' is not"),
        ("elections.ep2019.countries", ["DE", "DE"], "elections.ep2019.countries", "twice"),
        ("elections.ep2019.countries", [], "elections.ep2019.countries", "no countries"),
        ("elections.ep2019.end", date(2019, 2, 22), "elections.ep2019.end", "before start"),
        ("elections.ep2019.start", "2019-02-23", "elections.ep2019.start", "TOML date"),
        ("elections.ep2019.voting_age", 15, "elections.ep2019.voting_age", "greater than"),
        ("elections.ep2019.voting_age", 30, "elections.ep2019.voting_age", "less than"),
        ("elections.ep2019.turnout", 0.5, "elections.ep2019.turnout", "not a known setting"),
        ("elections.ep2019.voting_age", _DELETE, "elections.ep2019.voting_age", "required"),
        ("elections.EP-2019", {}, "elections.EP-2019", "invalid id"),
        ("deadlines.Europe", {"unit": "months", "period": 1}, "deadlines.Europe", "ISO 3166-1"),
        ("deadlines.US.unit", "weeks", "deadlines.US.unit", "'months' or 'days'"),
        ("deadlines.GB.period", 13, "deadlines.GB", "at most 12"),
        ("deadlines.US.period", 0, "deadlines.US.period", "greater than"),
    ],
)
def test_broken_entries_name_the_entry_and_the_problem(
    path: str, value: Any, entry: str, problem: str
) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(_broken(path, value), source="broken.toml")
    assert caught.value.entry == entry
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"catalog broken.toml: entry {entry}: ")


def test_election_windows_need_the_political_purpose() -> None:
    data = _valid()
    del data["purposes"]["political_campaigning"]
    with pytest.raises(CatalogInvalid) as caught:
        parse_catalog(data, source="broken.toml")
    assert caught.value.entry == "elections"
    assert "political_campaigning" in caught.value.problem


def test_syntax_errors_and_missing_files_are_catalog_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("format = 1\nversion = \n")
    with pytest.raises(CatalogInvalid, match="not valid TOML"):
        load_catalog(bad)
    with pytest.raises(CatalogInvalid, match="cannot be read"):
        load_catalog(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CatalogInvalid, match="not UTF-8"):
        load_catalog(binary)
