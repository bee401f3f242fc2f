"""How serious a breach is and what it exposes the controller to, computed from its scope
with every input shown:

- ``severity``: ENISA, "Recommendations for a methodology of the assessment of severity of
  personal data breaches" (working document v1.0, December 2013): SE = DPC x EI + CB.
  DPC (data processing context, 1 to 4) is the score of the most sensitive category of data
  involved — simple 1, behavioural 2, financial 3, sensitive 4 — raised by 1 when minors are
  among the people (ENISA's "vulnerable individuals" adjustment), at most 4; EI (ease of
  identification) is 1 (maximum) when a direct identifier (name, e-mail) left, 0.75
  (significant) for quasi-identifiers (birthday, current city, friends, posts), else 0.5
  (limited); CB (circumstances) adds loss of confidentiality 0.25 (data disclosed to a known
  recipient: the app), integrity and availability 0 (a disclosure alters and destroys
  nothing), and 0.5 for malicious intent (a harvest rule fired, or the operator says so).
  Levels: < 2 low, < 3 medium, < 4 high, else very high.
- ``ftc``: the 2019 FTC order against Facebook: incidents touching 500 or more users are
  reported within 30 days of discovery.
- ``exposure``: the GDPR Art. 83 ceiling — 83(5) (EUR 20 million or 4 % of worldwide annual
  turnover, whichever is higher) when special-category data was involved (Art. 9, and the
  integrity and confidentiality principle of Art. 5(1)(f)); otherwise 83(4) (EUR 10 million
  or 2 %), the security-of-processing obligations of Art. 32 to 34. Without a configured
  turnover the fixed amount is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from consentgate.catalog import Catalog
from consentgate.clock import rfc3339

__all__ = [
    "ENISA_CATEGORIES",
    "FTC_THRESHOLD",
    "exposure",
    "ftc",
    "severity",
]

# ENISA data categories by the catalog field's DPV personal-data concept
_SIMPLE, _BEHAVIOURAL, _FINANCIAL, _SENSITIVE = "simple", "behavioural", "financial", "sensitive"
_BASE = {_SIMPLE: 1, _BEHAVIOURAL: 2, _FINANCIAL: 3, _SENSITIVE: 4}
_PD = "https://w3id.org/dpv/pd#"
ENISA_CATEGORIES: Mapping[str, str] = {
    **{
        _PD + name: _SIMPLE
        for name in ("Name", "EmailAddress", "BirthDate", "Gender", "Country", "MaritalStatus")
    },
    **{
        _PD + name: _BEHAVIOURAL
        for name in ("Location", "Like", "Friend", "SocialMedia", "Communication")
    },
    **{_PD + name: _FINANCIAL for name in ("Financial", "Income", "PaymentCard", "BankAccount")},
}
_DIRECT_IDENTIFIERS = frozenset({"name", "email"})
_QUASI_IDENTIFIERS = frozenset({"birthday", "current_city", "friends", "posts"})
_EI_LEVELS = {1.0: "maximum", 0.75: "significant", 0.5: "limited", 0.25: "negligible"}

FTC_THRESHOLD = 500
FTC_REPORT_WITHIN = timedelta(days=30)

_TIERS = {
    "83(4)": (10_000_000, 2),
    "83(5)": (20_000_000, 4),
}


def _category(catalog: Catalog, field: str) -> str:
    spec = catalog.fields.get(field)
    if spec is None:
        return _SIMPLE
    if spec.special:
        return _SENSITIVE
    return ENISA_CATEGORIES.get(spec.category, _SIMPLE)


def _level(score: float) -> str:
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


def severity(
    *, fields: Sequence[str], minors: int, malicious: bool, catalog: Catalog
) -> dict[str, Any]:
    """The ENISA score of a breach that disclosed ``fields`` (the inputs are in the result)."""
    categories = {name: _category(catalog, name) for name in sorted(fields)}
    base = max((_BASE[c] for c in categories.values()), default=1)
    dpc = min(4, base + (1 if minors else 0))
    names = set(fields)
    if names & _DIRECT_IDENTIFIERS:
        ei, why = 1.0, "a direct identifier left: " + ", ".join(sorted(names & _DIRECT_IDENTIFIERS))
    elif names & _QUASI_IDENTIFIERS:
        ei, why = 0.75, "quasi-identifiers left: " + ", ".join(sorted(names & _QUASI_IDENTIFIERS))
    else:
        ei, why = 0.5, "no identifying field left; the app-scoped id needs the app's own data"
    circumstances = {
        "confidentiality": 0.25,  # disclosed to a known recipient (the app)
        "integrity": 0.0,
        "availability": 0.0,
        "malicious_intent": 0.5 if malicious else 0.0,
    }
    cb = sum(circumstances.values())
    score = round(dpc * ei + cb, 2)
    return {
        "method": "ENISA 2013 (SE = DPC x EI + CB)",
        "dpc": dpc,
        "ei": ei,
        "cb": cb,
        "score": score,
        "level": _level(score),
        "inputs": {
            "categories": categories,
            "dpc_base": base,
            "dpc_adjustment": "+1: minors among the people" if minors and base < 4 else None,
            "ei_level": _EI_LEVELS[ei],
            "ei_because": why,
            "cb": circumstances,
        },
    }


def ftc(*, subjects: int, discovered_at: datetime) -> dict[str, Any]:
    """The FTC order's incident report: due 30 days after discovery for 500+ people."""
    covered = subjects >= FTC_THRESHOLD
    return {
        "covered": covered,
        "threshold": FTC_THRESHOLD,
        "report_due_at": rfc3339(discovered_at + FTC_REPORT_WITHIN) if covered else None,
    }


def exposure(*, special_category_subjects: int, turnover_eur: int | None) -> dict[str, Any]:
    """The Art. 83 ceiling for what was breached, from the configured turnover."""
    if special_category_subjects:
        article = "83(5)"
        because = (
            "special-category data (Art. 9) of "
            f"{special_category_subjects} people left: the basic principles (Art. 5(1)(f) "
            "integrity and confidentiality, Art. 9 conditions) are in the upper tier"
        )
    else:
        article = "83(4)"
        because = (
            "no special-category data left: a failure of the security of processing "
            "(Art. 32) and of the breach duties (Art. 33, 34) is in the lower tier"
        )
    fixed, percent = _TIERS[article]
    share = None if turnover_eur is None else turnover_eur * percent // 100
    return {
        "article": article,
        "max_eur": fixed if share is None else max(fixed, share),
        "fixed_eur": fixed,
        "percent_of_turnover": percent,
        "turnover_eur": turnover_eur,
        "because": because
        + (
            ""
            if share is not None
            else "; CONSENTGATE_ANNUAL_TURNOVER_EUR is not set, so the fixed amount is shown"
        ),
    }
