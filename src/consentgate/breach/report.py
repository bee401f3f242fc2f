"""The notification to the supervisory authority (GDPR Art. 33(3)), in JSON and Markdown:
(a) the nature of the breach with the categories and numbers of people and records — exact,
from the ledger; (b) the DPO's name and contact; (c) the likely consequences; (d) the
measures taken and proposed; with the controller, the lead and concerned authorities, the
timeline of every step and who took it, and the severity, FTC and Art. 83 figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consentgate.breach.models import Breach, BreachEvent
from consentgate.breach.notices import field_label
from consentgate.catalog import Catalog
from consentgate.clock import rfc3339
from consentgate.settings import BreachPolicy

__all__ = ["report", "report_markdown"]

_HIGH = ("high", "very_high")


def _consequences(breach: Breach, catalog: Catalog) -> list[str]:
    fields = set(breach.scope.get("by_field", {}))
    special = sorted(f for f in fields if f in catalog.fields and catalog.fields[f].special)
    found = []
    if special:
        found.append(
            "Special-category data (" + ", ".join(field_label(f) for f in special) + ") of "
            f"{breach.scope['special_category_subjects']} people left: risk of discrimination, "
            "of profiling and of targeted political or religious messaging."
        )
    if fields & {"page_likes", "posts", "friends", "current_city"}:
        found.append(
            "Behavioural data (likes, posts, friends, location) allows profiles to be built and "
            "sensitive traits to be inferred, and maps people's social circles."
        )
    if fields & {"name", "email", "birthday"}:
        found.append(
            "Identifying data (name, e-mail, birthday) exposes people to phishing, spam and "
            "attempts at impersonation that use the other data disclosed."
        )
    if breach.scope.get("minors"):
        found.append(
            f"{breach.scope['minors']} of the people are minors, who merit specific protection "
            "(Recital 38)."
        )
    level = breach.severity.get("level", "")
    found.append(
        f"Severity by the ENISA method: {breach.severity.get('score')} ({level.replace('_', ' ')})"
        + ("; a high risk to the people concerned (Art. 34 applies)." if level in _HIGH else ".")
    )
    return found


def _measures(breach: Breach) -> tuple[list[str], list[str]]:
    taken = []
    if breach.incident_id is not None:
        taken.append(
            f"The app {breach.app_id} was suspended automatically at "
            f"{rfc3339(breach.discovered_at)} by harvest detection (incident "
            f"{breach.incident_id}); its tokens stopped working at once and every further "
            "request was refused."
        )
    else:
        taken.append(f"The breach was recorded by {breach.opened_by} for app {breach.app_id}.")
    taken.append(
        "The people and records concerned were computed exactly from the disclosure ledger "
        "(an RFC 9162 log with signed checkpoints), not estimated."
    )
    proposed = []
    if breach.severity.get("level") in _HIGH:
        proposed.append(
            f"Communicate the breach to the {breach.scope.get('linkable_subjects', 0)} people "
            "still identifiable, each with a notice naming only their own data (Art. 34)."
        )
    proposed += [
        "Require the app's developer to delete the data received, with evidence and audit "
        "rights rather than a bare certificate; keep the app suspended until then.",
        "Review the app's approved fields and the detection thresholds that bound the window.",
    ]
    if breach.ftc.get("covered"):
        proposed.append(f"Report the incident to the FTC by {breach.ftc['report_due_at']}.")
    return taken, proposed


def report(
    breach: Breach,
    events: list[BreachEvent],
    *,
    app_name: str,
    catalog: Catalog,
    policy: BreachPolicy,
    now: datetime,
) -> dict[str, Any]:
    """The Art. 33(3) notification as JSON."""
    scope = breach.scope
    categories = [
        {
            "field": name,
            "category": catalog.fields[name].category if name in catalog.fields else None,
            "special": bool(name in catalog.fields and catalog.fields[name].special),
            "subjects": people,
        }
        for name, people in scope.get("by_field", {}).items()
    ]
    taken, proposed = _measures(breach)
    steps: list[tuple[datetime, str, str | None]] = [
        (breach.window_start, "window_start", None),
        (breach.window_end, "window_end", None),
        (breach.discovered_at, "discovered", None),
        *((e.at, e.event, e.actor) for e in events),
    ]
    steps.sort(key=lambda step: step[0])
    timeline = [{"at": rfc3339(at), "event": event, "actor": actor} for at, event, actor in steps]
    return {
        "breach_id": breach.id,
        "article": "GDPR Art. 33(3)",
        "generated_at": rfc3339(now),
        "status": breach.status,
        "addressed_to": scope.get("lead_authority"),
        "concerned_authorities": scope.get("authorities", []),
        "controller": {"name": policy.controller_name, "email": policy.controller_email},
        "dpo": {"name": policy.dpo_name, "email": policy.dpo_email},
        "nature": {
            "description": breach.description,
            "app": {"id": breach.app_id, "name": app_name},
            "window_start": rfc3339(breach.window_start),
            "window_end": rfc3339(breach.window_end),
            "discovered_at": rfc3339(breach.discovered_at),
            "subjects": scope.get("subjects"),
            "records": scope.get("records"),
            "categories_of_subjects": [
                f"users of the platform who consented to share data with {app_name}"
            ],
            "categories_of_data": categories,
            "by_country": scope.get("by_country"),
            "special_category_subjects": scope.get("special_category_subjects"),
            "minors": scope.get("minors"),
            "unlinked_subjects": scope.get("unlinked_subjects"),
        },
        "likely_consequences": _consequences(breach, catalog),
        "measures_taken": taken,
        "measures_proposed": proposed,
        "timeline": timeline,
        "authority_due_at": rfc3339(breach.authority_due_at),
        "authority_notified_at": (
            None if breach.authority_notified_at is None else rfc3339(breach.authority_notified_at)
        ),
        "late_reason": breach.late_reason,
        "severity": breach.severity,
        "ftc": breach.ftc,
        "exposure": breach.exposure,
    }


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def report_markdown(document: dict[str, Any]) -> str:
    """The same report as Markdown, for e-mail or an authority's web form."""
    nature = document["nature"]
    lead = document["addressed_to"] or {}
    severity = document["severity"]
    out = [
        f"# Personal data breach notification — {document['breach_id']}",
        "",
        f"{document['article']}. Generated {document['generated_at']}; status "
        f"**{document['status']}**; due to the authority by {document['authority_due_at']}"
        + (
            f", notified {document['authority_notified_at']}"
            if document["authority_notified_at"]
            else ""
        )
        + ".",
        "",
        f"**To:** {lead.get('name', '-')} ({lead.get('url', '-')})",
        "",
        f"**Controller:** {document['controller']['name']} <{document['controller']['email']}>",
        "",
        "## (a) Nature of the breach",
        "",
        nature["description"],
        "",
        f"- App: {nature['app']['name']} (`{nature['app']['id']}`)",
        f"- Window: {nature['window_start']} to {nature['window_end']}; discovered "
        f"{nature['discovered_at']}",
        f"- People concerned: **{nature['subjects']}** (exact, from the ledger; "
        f"{nature['unlinked_subjects']} of them erased since and no longer identifiable)",
        f"- Records concerned: **{nature['records']}** disclosures",
        f"- People with special-category data: {nature['special_category_subjects']}; "
        f"minors: {nature['minors']}",
        f"- Categories of people: {'; '.join(nature['categories_of_subjects'])}",
        "",
        "| field | category | special | people |",
        "|---|---|---|---|",
        *(
            f"| {c['field']} | {c['category']} | {'yes' if c['special'] else 'no'} | "
            f"{c['subjects']} |"
            for c in nature["categories_of_data"]
        ),
        "",
        "| country | people |",
        "|---|---|",
        *(f"| {code} | {n} |" for code, n in (nature["by_country"] or {}).items()),
        "",
        "Concerned authorities: "
        + (
            "; ".join(
                f"{a['name']} ({a['country']}, {_people(a['subjects'])})"
                for a in document["concerned_authorities"]
            )
            or "none in the EU/EEA"
        ),
        "",
        "## (b) Data protection officer",
        "",
        f"{document['dpo']['name']} <{document['dpo']['email']}>",
        "",
        "## (c) Likely consequences",
        "",
        *(f"- {line}" for line in document["likely_consequences"]),
        "",
        f"ENISA severity: SE = DPC {severity['dpc']} x EI {severity['ei']} + CB {severity['cb']}"
        f" = **{severity['score']}** ({severity['level'].replace('_', ' ')}).",
        "",
        "## (d) Measures taken and proposed",
        "",
        *(f"- Taken: {line}" for line in document["measures_taken"]),
        *(f"- Proposed: {line}" for line in document["measures_proposed"]),
        "",
        "## Timeline",
        "",
        *(
            f"- {item['at']} {item['event']}" + (f" ({item['actor']})" if item["actor"] else "")
            for item in document["timeline"]
        ),
    ]
    if document["late_reason"]:
        out += ["", f"**Reasons for the delay (Art. 33(1)):** {document['late_reason']}"]
    exposure = document["exposure"]
    ftc = document["ftc"]
    out += [
        "",
        "## Exposure",
        "",
        f"- GDPR Art. {exposure['article']}: up to EUR {exposure['max_eur']:,} — "
        f"{exposure['because']}.",
        f"- FTC 2019 order: {'covered' if ftc['covered'] else 'not covered'} "
        f"(threshold {ftc['threshold']} people)"
        + (f"; report due {ftc['report_due_at']}" if ftc["report_due_at"] else "")
        + ".",
        "",
    ]
    return "\n".join(out)
