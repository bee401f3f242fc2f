"""The Art. 34 communication to one affected person: in clear and plain language, what of
theirs went to which app and when, what happened and what was done, what they can do, and
whom to ask — with the content of Art. 33(3)(b) to (d). It names only that person's own data:
the fields the app received of theirs and their own times, nothing of anyone else, no
number of other people. A document, not a delivery: the controller sends it by its own
channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from consentgate.breach.authorities import authority_of
from consentgate.breach.models import Breach, BreachSubject
from consentgate.catalog import Catalog
from consentgate.clock import rfc3339
from consentgate.settings import BreachPolicy

__all__ = ["affected_people", "field_label", "notice_text"]


def field_label(name: str) -> str:
    """A field as a person reads it: ``current_city`` → "current city"."""
    return name.replace("_", " ")


def _day(moment: datetime) -> str:
    return moment.strftime("%d %B %Y at %H:%M UTC").lstrip("0")


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def notice_text(
    breach: Breach,
    person: BreachSubject,
    *,
    app_name: str,
    catalog: Catalog,
    policy: BreachPolicy,
) -> str:
    """The plain-language notice for ``person`` about ``breach``."""
    fields = [field_label(name) for name in person.fields]
    sensitive = [
        field_label(name)
        for name in person.fields
        if name in catalog.fields and catalog.fields[name].special
    ]
    authority = authority_of(person.country) or authority_of(policy.lead_authority)
    times = "once" if person.records == 1 else f"{person.records} times"
    first, last = _day(person.first_at), _day(person.last_at)
    when = f"on {first}" if first == last else f"between {first} and {last}"
    how = (
        "Our systems detected that the app was collecting data in a way that looks like "
        "harvesting, and suspended it at once."
        if breach.incident_id is not None
        else "We found that data the app received was at risk of misuse."
    )
    lines = [
        f"Important: a personal data breach concerns you (reference {breach.id}).",
        "",
        f'What happened. You allowed the app "{app_name}" to receive some of your data '
        f"through {policy.controller_name}. {how} We became aware of this on "
        f"{_day(breach.discovered_at)}.",
        "",
        f"What of yours went where. The app received your {_listed(fields)} {when} ({times}).",
    ]
    if sensitive:
        lines += [
            "",
            f"This includes sensitive information ({_listed(sensitive)}), which the law "
            "protects specially. Someone who holds it could learn things about you that you "
            "may not want known, or use them to target you with messages.",
        ]
    lines += [
        "",
        "What we have done. The app can no longer receive any data from us: its access was "
        "suspended and its keys stopped working. We record every disclosure in a ledger "
        "that cannot be changed afterwards, which is how we know exactly what the app "
        "received of yours.",
        "",
        "What you can do.",
        "- Withdraw your consent to the app in your privacy centre (it stops any future "
        "disclosure).",
        "- Ask the app's developer to delete what it received of yours (your right to erasure).",
        "- Be careful with messages that mention these details or ask you to act quickly.",
        f"- Ask us anything: {policy.dpo_name}, {policy.dpo_email}.",
    ]
    if authority is not None:
        lines.append(
            f"- You may complain to the data protection authority: {authority.name} "
            f"({authority.url})."
        )
    lines += ["", "This message describes only your own data."]
    return "\n".join(lines)


def affected_people(
    breach: Breach,
    people: Sequence[BreachSubject],
    *,
    app_name: str,
    catalog: Catalog,
    policy: BreachPolicy,
) -> list[dict[str, Any]]:
    """The affected people as the API and the CLI list them, each with their notice."""
    return [
        {
            "subject_id": p.subject_id,
            "fields": list(p.fields),
            "first_at": rfc3339(p.first_at),
            "last_at": rfc3339(p.last_at),
            "records": p.records,
            "country": p.country or None,
            "notice": notice_text(breach, p, app_name=app_name, catalog=catalog, policy=policy),
        }
        for p in people
    ]
