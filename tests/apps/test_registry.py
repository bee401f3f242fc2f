"""The app registry on both databases: registration, review, suspension, credentials."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from consentgate.apps import (
    app_events_of,
    approve_app,
    authenticate_client,
    get_app,
    list_apps,
    register_app,
    reinstate_app,
    reject_app,
    suspend_app,
)
from consentgate.catalog import Catalog
from consentgate.errors import (
    AppNotFound,
    GrantRefused,
    InvalidInput,
    InvalidTransition,
    UnknownField,
    UnknownPurpose,
)
from consentgate.policy import AppStatus, Reason
from consentgate.storage.tables import apps
from consentgate.stores import Stores
from tests.support import NOW, OPERATOR, REGISTRATION


def test_registration_stores_the_secret_only_as_an_argon2_hash(
    engine: Engine, stores: Stores, catalog: Catalog
) -> None:
    registered = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR)
    app = registered.app
    assert app.status is AppStatus.PENDING
    assert app.fields_approved == ()
    assert app.id.startswith("app_")
    assert registered.client_secret.startswith("cgs_")
    with engine.connect() as connection:
        row = connection.execute(select(apps).where(apps.c.id == app.id)).mappings().one()
    assert registered.client_secret not in str(dict(row))
    assert row["client_secret_hash"].startswith("$argon2")
    assert "client_secret_hash" not in app.as_dict()
    assert authenticate_client(stores.apps, app.client_id, registered.client_secret) == get_app(
        stores.apps, app.id
    )
    assert authenticate_client(stores.apps, app.client_id, "cgs_wrong") is None
    assert authenticate_client(stores.apps, "cg_unknown", registered.client_secret) is None


def test_approve_a_subset_then_suspend_and_reinstate(stores: Stores, catalog: Catalog) -> None:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    approved = approve_app(
        stores.apps, catalog, app_id, fields=["name", "birthday"], now=NOW, actor=OPERATOR
    )
    assert approved.status is AppStatus.APPROVED
    assert approved.fields_approved == ("name", "birthday")
    assert approved.view(catalog).approved_mask == catalog.mask(["name", "birthday"])
    suspended = suspend_app(stores.apps, app_id, reason="harvest pattern", now=NOW, actor=OPERATOR)
    assert suspended.status is AppStatus.SUSPENDED
    assert suspended.status_reason == "harvest pattern"
    reinstated = reinstate_app(stores.apps, app_id, reason="reviewed", now=NOW, actor=OPERATOR)
    assert reinstated.status is AppStatus.APPROVED
    assert reinstated.status_reason is None
    events = app_events_of(stores.apps, app_id)
    assert [e.event for e in events] == ["registered", "approved", "suspended", "reinstated"]
    assert {e.actor for e in events} == {OPERATOR.ref}  # who took each step is recorded


def test_approve_all_requested_fields_by_default(stores: Stores, catalog: Catalog) -> None:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    assert set(approve_app(stores.apps, catalog, app_id, actor=OPERATOR).fields_approved) == set(
        REGISTRATION["fields"]
    )


def test_invalid_transitions_are_refused(stores: Stores, catalog: Catalog) -> None:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    with pytest.raises(InvalidTransition, match="pending"):
        suspend_app(stores.apps, app_id, reason="x", actor=OPERATOR)
    with pytest.raises(InvalidTransition):
        reinstate_app(stores.apps, app_id, actor=OPERATOR)
    reject_app(stores.apps, app_id, reason="no business verification", actor=OPERATOR)
    with pytest.raises(InvalidTransition, match="rejected"):
        approve_app(stores.apps, catalog, app_id, actor=OPERATOR)
    assert get_app(stores.apps, app_id).status is AppStatus.REJECTED


def test_review_refuses_fields_that_were_not_requested(stores: Stores, catalog: Catalog) -> None:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    with pytest.raises(InvalidInput, match="not requested"):
        approve_app(stores.apps, catalog, app_id, fields=["email"], actor=OPERATOR)
    with pytest.raises(UnknownField):
        approve_app(stores.apps, catalog, app_id, fields=["shoe_size"], actor=OPERATOR)
    with pytest.raises(InvalidInput, match="at least one"):
        approve_app(stores.apps, catalog, app_id, fields=[], actor=OPERATOR)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"fields": {"messages": "read inbox"}}, GrantRefused),
        ({"fields": {"shoe_size": "fit"}}, UnknownField),
        ({"purposes": ["mind_reading"]}, UnknownPurpose),
        ({"purposes": []}, InvalidInput),
        ({"fields": {"name": "  "}}, InvalidInput),
        ({"retention_days": 0}, InvalidInput),
        ({"privacy_policy_url": "ftp://x"}, InvalidInput),
        ({"developer": {"name": "d", "email": "not-an-email", "country": "GB"}}, InvalidInput),
        ({"unexpected": 1}, InvalidInput),
    ],
)
def test_bad_registrations_are_refused_with_a_reason(
    stores: Stores, catalog: Catalog, change: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        register_app(stores.apps, catalog, REGISTRATION | change, actor=OPERATOR)
    if isinstance(caught.value, GrantRefused):
        assert caught.value.reason is Reason.FIELD_FORBIDDEN


def test_unknown_app_is_a_clear_not_found(stores: Stores, catalog: Catalog) -> None:
    with pytest.raises(AppNotFound, match="app_nope"):
        get_app(stores.apps, "app_nope")
    with pytest.raises(AppNotFound):
        suspend_app(stores.apps, "app_nope", reason="x", actor=OPERATOR)
    with pytest.raises(AppNotFound):
        approve_app(stores.apps, catalog, "app_nope", actor=OPERATOR)


def test_list_apps_pages_by_id(stores: Stores, catalog: Catalog) -> None:
    created = {
        register_app(stores.apps, catalog, REGISTRATION, actor=OPERATOR).app.id for _ in range(3)
    }
    seen: list[str] = []
    after = None
    while True:
        page = list_apps(stores.apps, after=after, limit=2)
        if not page:
            break
        seen.extend(a.id for a in page)
        after = page[-1].id
    assert seen == sorted(seen)
    assert created <= set(seen)
    pending = list_apps(stores.apps, status=AppStatus.PENDING, limit=1000)
    assert all(a.status is AppStatus.PENDING for a in pending)
