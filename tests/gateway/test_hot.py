"""The decision state in memory (``gateway/hot.py``), on SQLite and PostgreSQL: the database
bumps the version on every change to apps, consents and subject states (and on nothing
else the read path writes); and, as a property, a read decided from the cache is the read
decided from the stores after any sequence of grants, withdrawals, suspensions,
reinstatements, restrictions and lifts — made through another process' stores (I4)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from consentgate.apps import reinstate_app, suspend_app
from consentgate.catalog import Catalog
from consentgate.consent import ReceiptSigner, grant_consent, withdraw_consent
from consentgate.errors import ConsentGateError
from consentgate.gateway import DecisionCache
from consentgate.gateway.access import evaluate_subject_access
from consentgate.ledger.leaves import Entry
from consentgate.sources.synthetic import PlatformSource
from consentgate.storage import Database
from consentgate.storage.version import VersionReader
from consentgate.stores import Stores, open_stores
from tests.support import NOW, OPERATOR, subjects_by_age

PURPOSE = "academic_research"
FIELDS = ["name", "birthday"]


@pytest.fixture
def reader(engine: Engine) -> VersionReader:
    return VersionReader(Database(engine))


def test_every_change_the_decision_reads_bumps_the_version_and_nothing_else(
    stores: Stores,
    reader: VersionReader,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    approved_app_id: str,
    adult_id: str,
) -> None:
    before = reader()
    consent = grant_consent(
        stores.consents,
        apps=stores.apps,
        catalog=catalog,
        source=source,
        signer=signer,
        subject_id=adult_id,
        request={"app_id": approved_app_id, "purpose": PURPOSE, "fields": FIELDS},
        now=NOW,
    )
    assert reader() > before  # consents
    before = reader()
    entry = Entry(
        subject_id=adult_id,
        app_id=approved_app_id,
        fields=("name",),
        purpose=PURPOSE,
        basis="consent",
        consent_id=consent.id,
        request_id="req_x",
        at_us=1,
    )
    stores.ledger.append([entry])
    assert reader() == before  # the ledger is not decision state
    suspend_app(stores.apps, approved_app_id, reason="test", actor=OPERATOR, now=NOW)
    assert reader() > before  # apps
    before = reader()
    stores.subjects.restrict(adult_id, ground="accuracy", request_id="rq_1", at_us=1)
    assert reader() > before  # subject_states
    before = reader()
    withdraw_consent(stores.consents, subject_id=adult_id, consent_id=consent.id)
    assert reader() > before


OPS = st.lists(
    st.tuples(
        st.sampled_from(["grant", "withdraw", "suspend", "reinstate", "restrict", "lift", "read"]),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(ops=OPS)
def test_a_cached_decision_is_the_stored_one_after_any_changes(
    ops: list[tuple[str, int]],
    engine: Engine,
    stores: Stores,
    catalog: Catalog,
    source: PlatformSource,
    signer: ReceiptSigner,
    approved_app_id: str,
    adult_id: str,
) -> None:
    # the changes come through stores of their own (another server process, as it were)
    other = open_stores(Database(engine))
    reader = VersionReader(Database(engine))
    cache = DecisionCache(stores, catalog, reader)
    people = [adult_id, *_more_adults(source, catalog, adult_id)]
    consents: dict[str, list[str]] = {p: [] for p in people}
    moment = NOW + timedelta(hours=1)
    with contextlib.suppress(ConsentGateError):  # an earlier example may have left it suspended
        reinstate_app(other.apps, approved_app_id, actor=OPERATOR, now=NOW)
    try:
        for op, n in ops:
            person = people[n % len(people)]
            try:
                if op == "grant":
                    consents[person].append(
                        grant_consent(
                            other.consents,
                            apps=other.apps,
                            catalog=catalog,
                            source=source,
                            signer=signer,
                            subject_id=person,
                            request={
                                "app_id": approved_app_id,
                                "purpose": PURPOSE,
                                "fields": FIELDS,
                            },
                            now=NOW,
                        ).id
                    )
                elif op == "withdraw" and consents[person]:
                    withdraw_consent(
                        other.consents,
                        subject_id=person,
                        consent_id=consents[person].pop(),
                        now=NOW,
                    )
                elif op == "suspend":
                    suspend_app(other.apps, approved_app_id, reason="t", actor=OPERATOR, now=NOW)
                elif op == "reinstate":
                    reinstate_app(other.apps, approved_app_id, actor=OPERATOR, now=NOW)
                elif op == "restrict":
                    other.subjects.restrict(person, ground="accuracy", request_id="rq", at_us=1)
                elif op == "lift":
                    other.subjects.lift(person, at_us=2)
            except ConsentGateError:
                pass  # a transition that does not apply: nothing changed
            for someone in people:  # every read, after every step: cached == stored
                args = {
                    "catalog": catalog,
                    "source": source,
                    "app_id": approved_app_id,
                    "subject_id": someone,
                    "purpose": PURPOSE,
                    "fields": FIELDS,
                    "now": moment,
                }
                cached, _ = evaluate_subject_access(stores, cache=cache, **args)  # type: ignore[arg-type]
                stored, _ = evaluate_subject_access(stores, **args)  # type: ignore[arg-type]
                assert cached == stored, (op, someone)
    finally:
        for person, ids in consents.items():
            for consent_id in ids:
                withdraw_consent(other.consents, subject_id=person, consent_id=consent_id, now=NOW)
        for person in people:
            other.subjects.lift(person, at_us=3)


def _more_adults(source: PlatformSource, catalog: Catalog, first: str) -> list[str]:
    return [s for s in subjects_by_age(source, catalog, minor=False) if s != first][:2]
