"""Erasure as one transaction across the owners, on both databases and in memory: the
erasure leaf, the consents, the incident lists and the key go together, or not at all."""

from __future__ import annotations

import pytest

from consentgate.apps import register_app
from consentgate.breach import MemoryIncidentStore, SqlIncidentStore
from consentgate.catalog import Catalog
from consentgate.ledger import Entry, Leaf
from consentgate.rights import shred_subject
from consentgate.stores import MemoryStores, Stores
from tests.support import OPERATOR, REGISTRATION, consent_record


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


def test_erasure_is_all_or_nothing(
    bundle: Stores, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_id = register_app(bundle.apps, catalog, REGISTRATION, actor=OPERATOR).app.id
    subject = f"erased-{app_id}"
    _disclosed(bundle, subject)
    bundle.consents.add(consent_record(app_id, subject, f"cns_erase_{app_id}"))
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
