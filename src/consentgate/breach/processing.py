"""The records of processing activities (GDPR Art. 30), generated from live configuration
and the ledger, so they cannot drift: a row per (app, purpose) with the controller (a),
the purpose and its legal basis (b), the categories of people and of data with the special
ones flagged (c), the recipient and its country, ``third_country`` outside the EU/EEA
(d, e), the retention (f); and from the ledger what was actually disclosed in the last 90
days — ``declared_not_used`` (approved, never sent: a minimisation candidate) and
``used_not_declared``, which must always be empty (I1: the gateway releases only approved
fields for declared purposes). Apps that are approved or suspended appear, and any app the
ledger shows a disclosure for."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from consentgate.apps import App, AppStore
from consentgate.breach.scope import ScopeEngine
from consentgate.catalog import EEA_COUNTRIES, Catalog
from consentgate.clock import rfc3339, to_micros
from consentgate.ledger import LedgerStore, Usage
from consentgate.policy import AppStatus
from consentgate.settings import BreachPolicy

__all__ = ["OBSERVED_DAYS", "records_csv", "records_of_processing"]

OBSERVED_DAYS = 90
_LISTED = (AppStatus.APPROVED, AppStatus.SUSPENDED)


def _apps(apps: AppStore) -> Iterator[App]:
    after: str | None = None
    while True:
        page = apps.page(after=after, limit=500)
        yield from page
        if len(page) < 500:
            return
        after = page[-1].id


def records_of_processing(
    *,
    apps: AppStore,
    ledger: LedgerStore,
    engine: ScopeEngine,
    catalog: Catalog,
    policy: BreachPolicy,
    now: datetime,
) -> dict[str, Any]:
    """The register as JSON: ``data`` holds a row per (app, purpose)."""
    start = now - timedelta(days=OBSERVED_DAYS)
    usage: dict[tuple[str, str], Usage] = {
        (u.app_id, u.purpose): u for u in engine.usage(ledger, to_micros(start), to_micros(now))
    }
    rows = []
    seen: set[tuple[str, str]] = set()
    for app in _apps(apps):
        purposes = list(app.purposes)
        purposes += sorted(p for a, p in usage if a == app.id and p not in app.purposes)
        if app.status not in _LISTED and not any(a == app.id for a, _ in usage):
            continue
        for purpose in purposes:
            seen.add((app.id, purpose))
            rows.append(_row(app, purpose, usage.get((app.id, purpose)), catalog, policy))
    strays = sorted(key for key in usage if key not in seen)  # an app no longer registered
    for app_id, purpose in strays:
        used = usage[(app_id, purpose)]
        rows.append(
            {
                "app_id": app_id,
                "app_name": None,
                "app_status": None,
                "purpose": {"id": purpose},
                "fields_disclosed_90d": list(used.fields),
                "disclosures_90d": used.records,
                "subjects_90d": used.people,
                "declared_not_used": [],
                "used_not_declared": list(used.fields),
            }
        )
    return {
        "generated_at": rfc3339(now),
        "article": "GDPR Art. 30(1)",
        "controller": {"name": policy.controller_name, "email": policy.controller_email},
        "dpo": {"name": policy.dpo_name, "email": policy.dpo_email},
        "observed_from": rfc3339(start),
        "observed_days": OBSERVED_DAYS,
        "engine": engine.name,
        "data": rows,
    }


def _row(
    app: App, purpose: str, used: Usage | None, catalog: Catalog, policy: BreachPolicy
) -> dict[str, Any]:
    spec = catalog.purposes.get(purpose)
    basis = catalog.legal_bases.get(spec.legal_basis) if spec is not None else None
    declared = sorted(app.fields_approved) if purpose in app.purposes else []
    disclosed = sorted(used.fields) if used is not None else []
    country = app.developer.country
    return {
        "app_id": app.id,
        "app_name": app.name,
        "app_status": str(app.status),
        "controller": {"name": policy.controller_name, "email": policy.controller_email},
        "purpose": {
            "id": purpose,
            "label": None if spec is None else spec.label,
            "dpv": None if spec is None else spec.dpv,
        },
        "legal_basis": {
            "id": None if spec is None else spec.legal_basis,
            "article": None if basis is None else basis.article,
            "dpv": None if basis is None else basis.dpv,
        },
        "data_subjects": f"platform users who consented to share data with {app.name}",
        "data_categories": [
            {
                "field": name,
                "category": catalog.fields[name].category if name in catalog.fields else None,
                "special": bool(name in catalog.fields and catalog.fields[name].special),
            }
            for name in declared
        ],
        "recipient": {
            "name": app.developer.name,
            "email": app.developer.email,
            "country": country,
            "third_country": country not in EEA_COUNTRIES,
        },
        "retention_days": app.retention_days,
        "fields_declared": declared,
        "fields_disclosed_90d": disclosed,
        "disclosures_90d": 0 if used is None else used.records,
        "subjects_90d": 0 if used is None else used.people,
        "declared_not_used": sorted(set(declared) - set(disclosed)),
        "used_not_declared": sorted(set(disclosed) - set(declared)),
    }


_CSV_COLUMNS = (
    "app_id",
    "app_name",
    "app_status",
    "controller",
    "purpose",
    "purpose_dpv",
    "legal_basis",
    "data_categories",
    "special_categories",
    "recipient",
    "recipient_country",
    "third_country",
    "retention_days",
    "fields_declared",
    "fields_disclosed_90d",
    "disclosures_90d",
    "subjects_90d",
    "declared_not_used",
    "used_not_declared",
)


def records_csv(register: dict[str, Any]) -> str:
    """The register as CSV, one line per row (lists joined with ``;``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for row in register["data"]:
        categories = row.get("data_categories", [])
        recipient = row.get("recipient", {})
        writer.writerow(
            [
                row["app_id"],
                row.get("app_name") or "",
                row.get("app_status") or "",
                (row.get("controller") or {}).get("name", ""),
                row["purpose"]["id"],
                row["purpose"].get("dpv") or "",
                (row.get("legal_basis") or {}).get("article") or "",
                ";".join(c["field"] for c in categories),
                ";".join(c["field"] for c in categories if c["special"]),
                recipient.get("name", ""),
                recipient.get("country", ""),
                "yes" if recipient.get("third_country") else "no",
                row.get("retention_days", ""),
                ";".join(row.get("fields_declared", [])),
                ";".join(row["fields_disclosed_90d"]),
                row["disclosures_90d"],
                row["subjects_90d"],
                ";".join(row["declared_not_used"]),
                ";".join(row["used_not_declared"]),
            ]
        )
    return out.getvalue()
