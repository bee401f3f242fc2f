"""Erasure as one transaction across the owners, on both databases and in memory: the
erasure leaf, the consents, the incident lists and the key go together, or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentgate.apps import register_app
from consentgate.breach import MemoryIncidentStore, SqlIncidentStore
from consentgate.catalog import Catalog
from consentgate.consent import Consent
from consentgate.ledger import Entry, Leaf
from consentgate.rights import shred_subject
from consentgate.stores import MemoryStores, Stores

from .conftest import NOW, OPERATOR, REGISTRATION


def _disclosed(stores: Stores, subject_id: str) -> None:
    stores.ledger.append(
        [
            Entry(
                subject_id=subject_id,
                app_id="app_erasure_test",
                fields=("name",),
                purpose="analytics",
                basis="consent",
                consent_id="cns_1",
                request_id="req_1",
                at_us=1_795_000_000_000_000,
            )
        ]
    )


def _consent(subject_id: str, consent_id: str, app_id: str) -> Consent:
    return Consent(
        id=consent_id,
        subject_id=subject_id,
        app_id=app_id,
        purpose="analytics",
        fields=("name",),
        explicit=False,
        parental_consent=None,
        notice_version="1",
        granted_at=NOW,
        renewed_at=None,
        expires_at=NOW + timedelta(days=90),
        withdrawn_at=None,
        receipt="r",
    )


def test_erasure_is_all_or_nothing(
    bundle: Stores, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = register_app(bundle.apps, catalog, REGISTRATION, actor=OPERATOR).app.id
    subject = f"erased-{app_id}"
    _disclosed(bundle, subject)
    bundle.consents.add(_consent(subject, f"cns_erase_{app_id}", app_id))
    kind = MemoryIncidentStore if isinstance(bundle, MemoryStores) else SqlIncidentStore

    def broken(*_: object, **__: object) -> int:
        raise RuntimeError("incident lists unavailable")

    size = bundle.ledger.size()
    with monkeypatch.context() as patch:
        patch.setattr(kind, "forget_subject", broken)
        with pytest.raises(RuntimeError):
            shred_subject(bundle, subject)
    assert bundle.ledger.size() == size  # no erasure leaf
    assert bundle.ledger.subject_pseudonym(subject) is not None  # the key is still there
    assert bundle.consents.page(subject_id=subject) != []

    mine = bundle.ledger.subject_pseudonym(subject)
    result = shred_subject(bundle, subject)
    assert result.consents_erased == 1
    assert result.erasure_leaf == size
    [(_, data)] = bundle.ledger.leaves(size, size + 1)
    assert (Leaf.decode(data).kind, Leaf.decode(data).subj) == ("erasure", mine)
    assert bundle.ledger.subject_pseudonym(subject) is None
    assert bundle.consents.page(subject_id=subject) == []
    assert shred_subject(bundle, subject) == type(result)(None, 0)  # nothing left to erase
