"""Containment and reinstatement (``breach.containment``), each one transaction across the
rooms, on SQLite, PostgreSQL and the memory twins alike: a failure anywhere leaves the app
as it was and no incident half-written."""

from __future__ import annotations

import pytest

from consentgate.apps import approve_app, get_app, register_app
from consentgate.authz import Actor, Role
from consentgate.breach import (
    MemoryIncidentStore,
    SqlIncidentStore,
    contain,
    list_incidents,
    reinstate,
)
from consentgate.catalog import Catalog
from consentgate.detect import Finding
from consentgate.policy import AppStatus
from consentgate.stores import MemoryStores, Stores
from tests.support import NOW, OPERATOR, REGISTRATION

DPO = Actor.operator("op_dpo", Role.DPO)


def _approved(stores: Stores, catalog: Catalog) -> str:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    approve_app(stores.apps, catalog, app_id, now=NOW, actor=OPERATOR)
    return app_id


FINDING = {"explanation": "asked for 20 ids it was never given", "foreign_ids": 20}


def test_containment_suspends_and_opens_its_incident_in_one_transaction(
    bundle: Stores, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = _approved(bundle, catalog)
    finding = Finding(app_id, "id_enumeration", 86_400, dict(FINDING))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the incident could not be written")

    kind = MemoryIncidentStore if isinstance(bundle, MemoryStores) else SqlIncidentStore
    with monkeypatch.context() as patch:
        patch.setattr(kind, "add", broken)
        with pytest.raises(RuntimeError):
            contain(bundle, finding, now=NOW)
    assert bundle.apps.status(app_id) is AppStatus.APPROVED  # the suspension rolled back
    assert list_incidents(bundle.incidents, after=None, limit=1000, app_id=app_id) == []

    incident = contain(bundle, finding, now=NOW)
    app = get_app(bundle.apps, app_id)
    assert app.status is AppStatus.SUSPENDED
    assert app.status_reason is not None
    assert "id_enumeration" in app.status_reason
    assert bundle.apps.events(app_id)[-1].actor == "system:harvest-detection"
    assert incident.status == "open"
    assert incident.evidence["consenting_subjects"] == 0

    with monkeypatch.context() as patch:
        patch.setattr(kind, "close_for_app", broken)
        with pytest.raises(RuntimeError):
            reinstate(bundle, app_id, actor=DPO, now=NOW)
    assert bundle.apps.status(app_id) is AppStatus.SUSPENDED  # the transition rolled back
    reinstate(bundle, app_id, actor=DPO, now=NOW)
    assert bundle.apps.status(app_id) is AppStatus.APPROVED
    [closed] = list_incidents(bundle.incidents, after=None, limit=1000, app_id=app_id)
    assert closed.status == "closed"
