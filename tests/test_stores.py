"""The stores and their one transaction, on SQLite, PostgreSQL and the memory twins alike:
each store keeps what it is given; ``Stores.transaction()`` is all-or-nothing across rooms;
two concurrent withdrawals of one consent write one event. (Containment and reinstatement,
each one transaction, are tested in ``tests/breach``.)"""

from __future__ import annotations

import threading

import pytest

from consentgate.apps import AppStore, register_app, suspend_app
from consentgate.authz import Actor, Role
from consentgate.catalog import Catalog
from consentgate.clock import to_micros
from consentgate.consent import consent_history, withdraw_consent
from consentgate.errors import InvalidTransition
from consentgate.policy import AppStatus
from consentgate.stores import Stores
from tests.support import NOW, OPERATOR, REGISTRATION, consent_record

DPO = Actor.operator("op_dpo", Role.DPO)


def _approved(stores: Stores, catalog: Catalog) -> str:
    app_id = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR).app.id
    stores.apps.transition(
        app_id,
        from_status=(AppStatus.PENDING,),
        to_status=AppStatus.APPROVED,
        reason=None,
        event="approved",
        detail={},
        actor=OPERATOR,
        at_us=to_micros(NOW),
        fields_approved=list(REGISTRATION["fields"]),
    )
    return app_id


def test_the_app_store_keeps_status_changes_and_who_made_them(
    bundle: Stores, catalog: Catalog
) -> None:
    apps: AppStore = bundle.apps
    app_id = _approved(bundle, catalog)
    assert apps.status(app_id) is AppStatus.APPROVED
    view = apps.view(app_id, catalog)
    assert view is not None
    assert view.approved_mask == catalog.mask(REGISTRATION["fields"])
    suspend_app(apps, app_id, reason="looks off", actor=DPO, now=NOW)
    with pytest.raises(InvalidTransition):
        suspend_app(apps, app_id, reason="again", actor=DPO, now=NOW)
    events = apps.events(app_id)
    assert [(e.event, e.actor) for e in events] == [
        ("registered", OPERATOR.ref),
        ("approved", OPERATOR.ref),
        ("suspended", DPO.ref),
    ]
    assert events[-1].detail == {"reason": "looks off"}
    assert apps.view("app_nope", catalog) is None
    assert app_id in {a.id for a in apps.page(status=AppStatus.SUSPENDED, limit=1000)}


def test_a_transaction_is_all_or_nothing_across_rooms(bundle: Stores, catalog: Catalog) -> None:
    app_id = _approved(bundle, catalog)

    def both_then_fail() -> None:
        with bundle.transaction() as tx:
            tx.consents.add(consent_record(app_id, "17", "cns_tx_rolled_back"))
            suspend_app(tx.apps, app_id, reason="inside", actor=DPO, now=NOW)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        both_then_fail()
    assert bundle.consents.get(subject_id="17", consent_id="cns_tx_rolled_back") is None
    assert bundle.apps.status(app_id) is AppStatus.APPROVED
    with bundle.transaction() as tx:
        tx.consents.add(consent_record(app_id, "17", "cns_tx_kept"))
        suspend_app(tx.apps, app_id, reason="inside", actor=DPO, now=NOW)
    assert bundle.consents.get(subject_id="17", consent_id="cns_tx_kept") is not None
    assert bundle.apps.status(app_id) is AppStatus.SUSPENDED


def test_two_concurrent_withdrawals_write_one_event(stores: Stores, catalog: Catalog) -> None:
    """Two threads withdraw each of a dozen consents at once: one of them wins, the other is
    told it was withdrawn already, and each consent's history has one withdrawal."""
    app_id = _approved(stores, catalog)
    outcomes: list[str] = []
    for n in range(12):
        consent_id = f"cns_race_{app_id}_{n}"
        stores.consents.add(consent_record(app_id, "21", consent_id))
        start = threading.Barrier(2)

        def withdraw(consent_id: str = consent_id, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                withdraw_consent(stores.consents, subject_id="21", consent_id=consent_id)
            except InvalidTransition:
                outcomes.append("already")
            else:
                outcomes.append("withdrew")

        threads = [threading.Thread(target=withdraw) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        events = [e.event for e in consent_history(stores.consents, consent_id=consent_id)]
        assert events == ["granted", "withdrawn"], events
    assert outcomes.count("withdrew") == outcomes.count("already") == 12
