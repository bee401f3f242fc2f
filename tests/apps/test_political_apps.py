"""Apps for ``political_campaigning`` name a sponsor and a funding statement (and only they
do); the app object shows both; the decision's view of every app carries the developer's
country, on every store (SQLite, PostgreSQL, memory); the register's list of political apps
(approved, or suspended since) pages by id."""

from __future__ import annotations

from typing import Any

import pytest

from consentgate.apps import approve_app, get_app, register_app, reject_app, suspend_app
from consentgate.authz import Actor, Role
from consentgate.catalog import POLITICAL_PURPOSE, Catalog, default_catalog
from consentgate.errors import InvalidInput
from consentgate.policy import AppStatus
from consentgate.stores import Stores

CATALOG = default_catalog()
OPERATOR = Actor.operator("op_tests", Role.ADMIN)
SPONSOR = {"name": "Together Party", "country": "IE"}
FUNDING = "Paid for by the party's members: EUR 40,000."


def registration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Vote Together",
        "developer": {"name": "Civic Apps", "email": "dev@civic.example", "country": "IE"},
        "purposes": [POLITICAL_PURPOSE],
        "fields": {"name": "greet", "current_city": "local events"},
        "retention_days": 30,
        "privacy_policy_url": "https://civic.example/privacy",
        "sponsor": SPONSOR,
        "funding_statement": FUNDING,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sponsor": None}, "needs a sponsor"),
        ({"funding_statement": None}, "needs a funding_statement"),
        ({"funding_statement": "   "}, "needs a funding_statement"),
        ({"sponsor": {"name": "Party"}}, "sponsor.country"),
        ({"sponsor": {"name": "Party", "country": "Ireland"}}, "sponsor.country"),
        ({"sponsor": {"name": "", "country": "IE"}}, "sponsor.name"),
        ({"sponsor": {"name": "P", "country": "IE", "email": "x@y.z"}}, "sponsor.email"),
        ({"purposes": ["analytics"]}, "are for apps declaring"),
        ({"purposes": ["analytics"], "sponsor": None}, "are for apps declaring"),
    ],
)
def test_a_political_app_names_its_sponsor_and_funding_and_no_other_app_does(
    bundle: Stores, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        register_app(bundle.apps, CATALOG, registration(**changes), actor=OPERATOR)


def test_the_app_object_shows_sponsor_and_funding(bundle: Stores) -> None:
    political = register_app(bundle.apps, CATALOG, registration(), actor=OPERATOR).app
    shown = get_app(bundle.apps, political.id).as_dict()
    assert shown["sponsor"] == SPONSOR
    assert shown["funding_statement"] == FUNDING
    other = register_app(
        bundle.apps,
        CATALOG,
        registration(purposes=["analytics"], sponsor=None, funding_statement=None),
        actor=OPERATOR,
    ).app
    shown = get_app(bundle.apps, other.id).as_dict()
    assert (shown["sponsor"], shown["funding_statement"]) == (None, None)


@pytest.mark.parametrize("country", ["IE", "US"])
def test_every_view_for_a_decision_carries_the_developer_country(
    bundle: Stores, country: str
) -> None:
    body = registration(developer={"name": "D", "email": "d@d.example", "country": country})
    app = register_app(bundle.apps, CATALOG, body, actor=OPERATOR).app
    approve_app(bundle.apps, CATALOG, app.id, actor=OPERATOR)
    assert bundle.apps.view(app.id, CATALOG).developer_country == country  # type: ignore[union-attr]
    assert get_app(bundle.apps, app.id).view(CATALOG).developer_country == country
    with bundle.reading() as read:  # the gateway's decision loader reads this way
        assert read.apps.view(app.id, CATALOG).developer_country == country  # type: ignore[union-attr]


def test_the_political_list_has_approved_and_suspended_apps_only(bundle: Stores) -> None:
    catalog: Catalog = CATALOG
    made = {}
    for name in ("approved", "suspended", "pending", "rejected"):
        made[name] = register_app(bundle.apps, catalog, registration(name=name), actor=OPERATOR)
    approve_app(bundle.apps, catalog, made["approved"].app.id, actor=OPERATOR)
    approve_app(bundle.apps, catalog, made["suspended"].app.id, actor=OPERATOR)
    suspend_app(bundle.apps, made["suspended"].app.id, reason="test", actor=OPERATOR)
    reject_app(bundle.apps, made["rejected"].app.id, reason="test", actor=OPERATOR)
    other = register_app(
        bundle.apps,
        catalog,
        registration(purposes=["analytics"], sponsor=None, funding_statement=None),
        actor=OPERATOR,
    )
    approve_app(bundle.apps, catalog, other.app.id, actor=OPERATOR)
    statuses = (AppStatus.APPROVED, AppStatus.SUSPENDED)
    listed = bundle.apps.with_purpose(POLITICAL_PURPOSE, statuses=statuses, limit=1000)
    ids = [a.id for a in listed]
    assert made["approved"].app.id in ids
    assert made["suspended"].app.id in ids
    assert not {made["pending"].app.id, made["rejected"].app.id, other.app.id} & set(ids)
    assert ids == sorted(ids)
    first, *rest = bundle.apps.with_purpose(POLITICAL_PURPOSE, statuses=statuses, limit=1)
    assert [first.id] == ids[:1]
    assert rest == []
    after = bundle.apps.with_purpose(POLITICAL_PURPOSE, statuses=statuses, after=ids[0], limit=1000)
    assert [a.id for a in after] == ids[1:]
