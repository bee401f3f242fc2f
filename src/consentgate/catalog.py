"""The catalog: fields, purposes, legal bases, ages of digital consent, election windows
and rights-request deadlines.

A catalog is a versioned TOML file. ``load_catalog`` validates it and raises one
``CatalogInvalid`` naming the first broken entry and what is wrong with it. The built-in
catalog (``catalogs/default.toml``) covers the demo platform.

At run time a ``Catalog`` also gives every field a bit, so the decision works on bitmasks.
The EU/EEA country set (``EEA_COUNTRIES``) is defined here and nowhere else.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from consentgate.clock import ymd
from consentgate.errors import CatalogInvalid, UnknownField, UnknownPurpose

__all__ = [
    "DEFAULT_AGE_OF_CONSENT",
    "EEA_COUNTRIES",
    "GDPR_DEADLINE",
    "POLITICAL_PURPOSE",
    "Catalog",
    "DeadlineSpec",
    "ElectionWindow",
    "FieldSpec",
    "LegalBasisSpec",
    "PurposeSpec",
    "default_catalog",
    "load_catalog",
    "parse_catalog",
]

DEFAULT_AGE_OF_CONSENT = 16
# The European Economic Area: the 27 EU member states (since 1 February 2020) plus Iceland,
# Liechtenstein and Norway. ISO 3166-1 alpha-2, so Greece is GR (the EU's own list says EL).
EEA_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),
    }
)
# The purpose election windows govern (DESIGN.md, "Election-period safeguards").
POLITICAL_PURPOSE = "political_campaigning"
_ID = r"^[a-z][a-z0-9_]{0,62}$"
_IRI = r"^https?://\S+$"
_COUNTRY = re.compile(r"^[A-Z]{2}$")

SpecialCategory = Literal[
    "racial_or_ethnic_origin",
    "political_opinions",
    "religious_or_philosophical_beliefs",
    "trade_union_membership",
    "genetic_data",
    "biometric_data",
    "health",
    "sex_life_or_sexual_orientation",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LegalBasisSpec(_Strict):
    article: Annotated[str, Field(min_length=1)]
    dpv: Annotated[str, Field(pattern=_IRI)]


class PurposeSpec(_Strict):
    label: Annotated[str, Field(min_length=1)]
    dpv: Annotated[str, Field(pattern=_IRI)]
    legal_basis: Annotated[str, Field(pattern=_ID)]
    explicit_required: bool = False


class FieldSpec(_Strict):
    category: Annotated[str, Field(pattern=_IRI)]
    special_category: SpecialCategory | None = None
    forbidden_to_third_parties: bool = False
    rectifiable: bool = False  # GDPR Art. 16: a person may have the source correct it

    @property
    def special(self) -> bool:
        """GDPR Art. 9 special category: released only under explicit consent."""
        return self.special_category is not None


class _ElectionSpec(_Strict):
    countries: list[str]
    start: date  # TOML dates; both days are inside the window
    end: date
    voting_age: Annotated[int, Field(ge=16, le=21)]


class DeadlineSpec(_Strict):
    """How long a controller has to answer a rights request, and by how much more it may
    extend that once: ``period`` and ``extendable_by`` count calendar months or days."""

    unit: Literal["months", "days"]
    period: Annotated[int, Field(ge=1, le=366)]
    extendable_by: Annotated[int, Field(ge=0, le=366)] = 0

    @model_validator(mode="after")
    def _months_are_few(self) -> DeadlineSpec:
        if self.unit == "months" and max(self.period, self.extendable_by) > 12:
            raise ValueError("a period in months is at most 12")
        return self


# GDPR Art. 12(3): one month from receipt, extendable by two further months.
GDPR_DEADLINE = DeadlineSpec(unit="months", period=1, extendable_by=2)


class _CatalogFile(_Strict):
    format: Literal[1]
    version: Annotated[str, Field(min_length=1)]
    legal_bases: dict[Annotated[str, Field(pattern=_ID)], LegalBasisSpec]
    purposes: dict[Annotated[str, Field(pattern=_ID)], PurposeSpec]
    fields: dict[Annotated[str, Field(pattern=_ID)], FieldSpec]
    age_of_consent: dict[str, Annotated[int, Field(ge=13, le=18)]]
    elections: dict[Annotated[str, Field(pattern=_ID)], _ElectionSpec] = {}
    deadlines: dict[str, DeadlineSpec] = {}

    @model_validator(mode="after")
    def _cross_references(self) -> _CatalogFile:
        for purpose_id, purpose in self.purposes.items():
            if purpose.legal_basis not in self.legal_bases:
                raise _EntryProblem(
                    f"purposes.{purpose_id}.legal_basis",
                    f"legal basis {purpose.legal_basis!r} is not defined under [legal_bases]",
                )
        for key in self.age_of_consent:
            if key != "default" and not _COUNTRY.match(key):
                raise _EntryProblem(
                    f"age_of_consent.{key}", "keys are ISO 3166-1 alpha-2 codes or 'default'"
                )
        if not self.fields:
            raise _EntryProblem("fields", "the catalog defines no fields")
        if not self.purposes:
            raise _EntryProblem("purposes", "the catalog defines no purposes")
        for name, election in self.elections.items():
            _check_election(name, election)
        if self.elections and POLITICAL_PURPOSE not in self.purposes:
            raise _EntryProblem(
                "elections", f"election windows govern the purpose {POLITICAL_PURPOSE!r}: define it"
            )
        for key in self.deadlines:
            if key not in ("default", "EEA") and not _COUNTRY.match(key):
                raise _EntryProblem(
                    f"deadlines.{key}", "keys are ISO 3166-1 alpha-2 codes, 'EEA' or 'default'"
                )
        return self


def _check_election(name: str, election: _ElectionSpec) -> None:
    entry = f"elections.{name}"
    if not election.countries:
        raise _EntryProblem(f"{entry}.countries", "lists no countries")
    seen: set[str] = set()
    for code in election.countries:
        if not _COUNTRY.match(code):
            raise _EntryProblem(
                f"{entry}.countries", f"{code!r} is not an ISO 3166-1 alpha-2 code (e.g. 'DE')"
            )
        if code in seen:
            raise _EntryProblem(f"{entry}.countries", f"{code!r} is listed twice")
        seen.add(code)
    if election.end < election.start:
        raise _EntryProblem(
            f"{entry}.end",
            f"{election.end.isoformat()} is before start {election.start.isoformat()}",
        )


class _EntryProblem(ValueError):
    def __init__(self, entry: str, problem: str) -> None:
        super().__init__(problem)
        self.entry = entry
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ElectionWindow:
    """An election period: for ``political_campaigning`` the election-period safeguards apply
    to subjects of ``countries`` from ``start`` to ``end`` (both days included, UTC dates).
    ``start_ymd`` / ``end_ymd`` are the same days as YYYYMMDD integers (see ``clock.ymd``)."""

    name: str
    countries: frozenset[str]
    start: date
    end: date
    voting_age: int
    start_ymd: int = field(init=False)
    end_ymd: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_ymd", ymd(self.start))
        object.__setattr__(self, "end_ymd", ymd(self.end))

    def open_on(self, day_ymd: int) -> bool:
        return self.start_ymd <= day_ymd <= self.end_ymd

    def covers(self, country: str | None) -> bool:
        """Whether the window applies to a subject of ``country``; an unknown country is
        covered by every window (fail closed)."""
        return not country or country.upper() in self.countries


@dataclass(frozen=True, slots=True)
class Catalog:
    """A validated catalog, with a bit per field for the decision's bitmask path."""

    version: str
    legal_bases: Mapping[str, LegalBasisSpec]
    purposes: Mapping[str, PurposeSpec]
    fields: Mapping[str, FieldSpec]
    ages: Mapping[str, int]
    default_age: int = DEFAULT_AGE_OF_CONSENT
    elections: Mapping[str, ElectionWindow] = field(default_factory=dict)
    deadlines: Mapping[str, DeadlineSpec] = field(default_factory=dict)
    field_bits: Mapping[str, int] = field(init=False)
    special_mask: int = field(init=False)
    forbidden_mask: int = field(init=False)
    rectifiable_mask: int = field(init=False)

    def __post_init__(self) -> None:
        bits = {name: 1 << index for index, name in enumerate(self.fields)}
        object.__setattr__(self, "field_bits", bits)
        object.__setattr__(
            self,
            "special_mask",
            sum(bits[name] for name, spec in self.fields.items() if spec.special),
        )
        object.__setattr__(
            self,
            "forbidden_mask",
            sum(
                bits[name] for name, spec in self.fields.items() if spec.forbidden_to_third_parties
            ),
        )
        object.__setattr__(
            self,
            "rectifiable_mask",
            sum(bits[name] for name, spec in self.fields.items() if spec.rectifiable),
        )

    def age_of_consent(self, country: str | None) -> int:
        """The age of digital consent in ``country``; the default where unknown."""
        if country is None:
            return self.default_age
        return self.ages.get(country.upper(), self.default_age)

    def election_voting_age(self, country: str | None, day_ymd: int) -> int | None:
        """The voting age the election-period safeguards apply on ``day_ymd`` (a UTC date as
        YYYYMMDD) to a subject of ``country``, or None when no window is open for them.
        Where windows overlap the highest voting age applies; an unknown country falls under
        every window open that day (fail closed)."""
        ages = [
            window.voting_age
            for window in self.elections.values()
            if window.open_on(day_ymd) and window.covers(country)
        ]
        return max(ages) if ages else None

    def deadline(self, country: str | None) -> DeadlineSpec:
        """The rights-request deadline for a subject of ``country``: the country's own row,
        else the ``EEA`` row for an EU/EEA country, else ``default`` (GDPR Art. 12(3) when the
        catalog has no ``default``)."""
        code = (country or "").upper()
        if code in self.deadlines:
            return self.deadlines[code]
        if code in EEA_COUNTRIES and "EEA" in self.deadlines:
            return self.deadlines["EEA"]
        return self.deadlines.get("default", GDPR_DEADLINE)

    def rectifiable(self, name: str) -> bool:
        """Whether field ``name`` may be rectified; raises ``UnknownField`` for a name not in
        the catalog."""
        return bool(self.mask([name]) & self.rectifiable_mask)

    def mask(self, names: Iterable[str]) -> int:
        """The bitmask of ``names``; raises ``UnknownField`` for a name not in the catalog."""
        bits = self.field_bits
        total = 0
        for name in names:
            try:
                total |= bits[name]
            except KeyError:
                raise UnknownField(name) from None
        return total

    def names(self, mask: int) -> list[str]:
        """Field names in catalog order for a bitmask."""
        return [name for name, bit in self.field_bits.items() if mask & bit]

    def require_purpose(self, purpose: str) -> PurposeSpec:
        try:
            return self.purposes[purpose]
        except KeyError:
            raise UnknownPurpose(purpose) from None

    def require_fields(self, names: Iterable[str]) -> list[str]:
        """``names`` deduplicated in order; raises ``UnknownField`` on the first unknown name."""
        seen: dict[str, None] = {}
        for name in names:
            if name not in self.fields:
                raise UnknownField(name)
            seen.setdefault(name, None)
        return list(seen)


def parse_catalog(data: Mapping[str, Any], *, source: str) -> Catalog:
    """Validate a decoded catalog document; ``source`` names it in error messages."""
    try:
        parsed = _CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise _first_problem(exc, source) from None
    ages = dict(parsed.age_of_consent)
    default_age = ages.pop("default", DEFAULT_AGE_OF_CONSENT)
    elections = {
        name: ElectionWindow(
            name=name,
            countries=frozenset(spec.countries),
            start=spec.start,
            end=spec.end,
            voting_age=spec.voting_age,
        )
        for name, spec in parsed.elections.items()
    }
    return Catalog(
        version=parsed.version,
        legal_bases=dict(parsed.legal_bases),
        purposes=dict(parsed.purposes),
        fields=dict(parsed.fields),
        ages=ages,
        default_age=default_age,
        elections=elections,
        deadlines=dict(parsed.deadlines),
    )


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogInvalid(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CatalogInvalid(str(path), "(file)", "is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogInvalid(str(path), "(syntax)", f"not valid TOML: {exc}") from None
    return parse_catalog(data, source=str(path))


def default_catalog() -> Catalog:
    """The built-in catalog covering the demo platform."""
    text = resources.files("consentgate").joinpath("catalogs/default.toml").read_text("utf-8")
    return parse_catalog(tomllib.loads(text), source="built-in default.toml")


def _first_problem(exc: ValidationError, source: str) -> CatalogInvalid:
    error = exc.errors(include_url=False)[0]
    context = error.get("ctx") or {}
    inner = context.get("error")
    if isinstance(inner, _EntryProblem):
        return CatalogInvalid(source, inner.entry, inner.problem)
    location = [str(part) for part in error["loc"] if not str(part).startswith("[key]")]
    entry = ".".join(location) or "(top level)"
    if error["type"] == "extra_forbidden":
        return CatalogInvalid(source, entry, "is not a known setting (check the spelling)")
    if error["type"] == "missing":
        return CatalogInvalid(source, entry, "is required but missing")
    if "[key]" in [str(part) for part in error["loc"]]:
        return CatalogInvalid(source, entry, f"invalid id: {error['msg']}")
    if error["type"] == "date_type":
        return CatalogInvalid(source, entry, "must be a TOML date such as 2019-05-26 (no quotes)")
    if error["type"] == "value_error":
        return CatalogInvalid(source, entry, str(error["msg"]).removeprefix("Value error, "))
    return CatalogInvalid(source, entry, error["msg"])
