"""The catalog: the built-in file is valid; every broken file gets one clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from consentgate.catalog import default_catalog, load_catalog, parse_catalog
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
