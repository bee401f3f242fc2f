"""Properties of the rights workflows over random histories of consents, reads and
requests, on the in-memory twins (fast):

- the export's disclosures are exactly the ledger's entries for the person;
- an erasure's notices go to exactly the apps that received the person's data, one each;
- after erasure nothing of the person is ever released, and the ledger still verifies
  (every leaf's inclusion proof against the signed checkpoint, consistency with the
  checkpoints before);
- a restricted person's data never leaves, nor an objecting person's for the purposes
  objected to.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.apps import App, approve_app, register_app
from consentgate.catalog import Catalog, default_catalog
from consentgate.clock import to_micros, utc_now
from consentgate.consent import ReceiptSigner, grant_consent
from consentgate.errors import ConsentGateError
from consentgate.gateway import Gateway, IdSealer
from consentgate.gateway.recorder import DisclosureRow
from consentgate.ledger import Leaf
from consentgate.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from consentgate.rights import (
    ErasureBody,
    ObjectionBody,
    RequestType,
    RestrictionBody,
    Rights,
    export_subject,
    open_request_store,
)
from consentgate.stores import MemoryStores
from consentgate.testing.platform import MemoryPlatform
from tests.support import OPERATOR, REGISTRATION

PEOPLE = ("p1", "p2", "p3")
APPS = 2
PURPOSES = ("academic_research", "analytics")
FIELDS = ("name", "birthday", "current_city")
CATALOG: Catalog = default_catalog()
SIGNER = ReceiptSigner(kid="rk_props", private_key=Ed25519PrivateKey.generate())


class LedgerRecorder:
    def __init__(self, stores: MemoryStores) -> None:
        self.stores = stores

    async def record(self, rows: Sequence[DisclosureRow]) -> None:
        self.stores.ledger.append([row.as_entry() for row in rows])


person = st.sampled_from(PEOPLE)
app = st.integers(0, APPS - 1)
purpose = st.sampled_from(PURPOSES)
fields = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)
step = st.one_of(
    st.tuples(st.just("consent"), person, app, purpose, fields),
    st.tuples(st.just("consent"), person, app, purpose, st.just(list(FIELDS))),
    st.tuples(st.just("consent"), person, app, purpose, st.just(list(FIELDS))),
    st.tuples(st.just("read"), person, app, purpose, fields),
    st.tuples(st.just("read_all"), person),
    st.tuples(st.just("read_all"), person),
    st.tuples(st.just("withdraw"), person, app),
    st.tuples(st.just("restrict"), person),
    st.tuples(st.just("restrict"), person),
    st.tuples(st.just("lift"), person),
    st.tuples(st.just("object"), person, purpose),
    st.tuples(st.just("object"), person, purpose),
    st.tuples(st.just("unobject"), person, purpose),
    st.tuples(st.just("export"), person),
    st.tuples(st.just("erase"), person),
    st.tuples(st.just("checkpoint")),
)


def _approved_apps() -> list[App]:
    """Apps registered and approved once (a registration hashes a secret: slow on purpose)."""
    template = MemoryStores()
    found = []
    for _ in range(APPS):
        app_id = register_app(
            template.apps,
            CATALOG,
            REGISTRATION | {"fields": dict.fromkeys(FIELDS, "needed")},
            actor=OPERATOR,
        ).app.id
        found.append(approve_app(template.apps, CATALOG, app_id, actor=OPERATOR))
    return found


APPROVED = _approved_apps()


class World:
    def __init__(self) -> None:
        self.stores = MemoryStores()
        self.source = MemoryPlatform(
            {
                p: {
                    "name": f"Person {p}",
                    "birthday": "1990-05-05",
                    "current_city": "Berlin",
                    "country": "DE",
                }
                for p in PEOPLE
            }
        )
        self.apps = []
        for approved in APPROVED:
            self.stores.apps.add(approved, actor=OPERATOR)
            self.apps.append(approved.id)
        self.sealer = IdSealer(os.urandom(64))
        self.gateway = Gateway(
            stores=self.stores,
            catalog=CATALOG,
            source=self.source,
            sealer=self.sealer,
            recorder=LedgerRecorder(self.stores),
            reads_on_loop=True,
        )
        self.rights = Rights(
            stores=self.stores,
            requests=open_request_store(self.stores),
            catalog=CATALOG,
            source=self.source,
            scoped_id=self.sealer.scoped_id,
        )
        self.erased: set[str] = set()
        self.received: dict[str, set[str]] = {p: set() for p in PEOPLE}  # apps that got data
        self.checkpoints: list[tuple[int, bytes]] = []

    def run(self, action: tuple[Any, ...]) -> None:
        kind, *args = action
        getattr(self, kind)(*args)

    def consent(self, who: str, index: int, why: str, names: list[str]) -> None:
        state = self.stores.subjects.decision_state(who)
        refused: str | None = None
        try:
            grant_consent(
                self.stores.consents,
                apps=self.stores.apps,
                catalog=CATALOG,
                source=self.source,
                signer=SIGNER,
                subject_id=who,
                request={"app_id": self.apps[index], "purpose": why, "fields": names},
                state=state,
            )
        except ConsentGateError as exc:
            refused = exc.error_code
        if refused is None:  # given: never for a purpose objected to, never after erasure
            assert why not in state.objections
            assert who not in self.erased
        elif who not in self.erased:  # refused: for an objection, and only with OBJECTION
            assert why in state.objections
            assert refused == "OBJECTION"

    def read(self, who: str, index: int, why: str, names: list[str]) -> None:
        app_id = self.apps[index]
        state = self.stores.subjects.decision_state(who)
        before = self.stores.ledger.size()
        try:
            asyncio.run(
                self.gateway.read_subject(
                    app_id=app_id,
                    scoped_id=self.sealer.scoped_id(app_id, who),
                    purpose=why,
                    fields=names,
                    request_id="req_prop",
                )
            )
        except ConsentGateError:
            assert self.stores.ledger.size() == before  # nothing recorded, nothing released
            return
        # released: never for a restricted, objecting or erased person
        assert not state.restricted
        assert why not in state.objections
        assert who not in self.erased
        self.received[who].add(app_id)

    def read_all(self, who: str) -> None:
        """Every app reads every field of ``who`` for every purpose."""
        for index in range(APPS):
            for why in PURPOSES:
                self.read(who, index, why, list(FIELDS))

    def withdraw(self, who: str, index: int) -> None:
        for found in self.stores.consents.page(subject_id=who, limit=1000):
            if found.app_id == self.apps[index] and found.withdrawn_at is None:
                self.stores.consents.withdraw(
                    subject_id=who, consent_id=found.id, at_us=to_micros(utc_now())
                )
                return

    def restrict(self, who: str) -> None:
        self._ask(who, RestrictionBody(type="restriction", ground="unlawful"))

    def lift(self, who: str) -> None:
        self._quiet(lambda: self.rights.lift_own_restriction(who))

    def object(self, who: str, why: str) -> None:
        self._ask(who, ObjectionBody(type="objection", purposes=[why]))

    def unobject(self, who: str, why: str) -> None:
        self._quiet(lambda: self.rights.withdraw_objection(who, why))

    def export(self, who: str) -> None:
        if who in self.erased:
            return  # the API answers 404: the platform no longer knows the person
        document = asyncio.run(export_subject(self.rights, self.gateway, who))
        ledger = self.stores.ledger.disclosures_of(who)
        assert [d["index"] for d in document["disclosures"]] == [d.index for d in ledger.items]
        assert [d["leaf"] for d in document["disclosures"]] == [
            base64.b64encode(d.data).decode() for d in ledger.items
        ]
        assert {r["app_id"] for r in document["recipients"]} == self.received[who]

    def erase(self, who: str) -> None:
        if who in self.erased:
            return
        request = self.rights.submit(who, ErasureBody(type="erasure"), actor=OPERATOR)
        self.erased.add(who)
        notices = self.stores.notices.of_request(request.id)
        assert sorted(n.app_id for n in notices) == sorted(self.received[who])  # one each
        assert request.step == "key_shredded"
        assert self.stores.ledger.subject_pseudonym(who) is None
        assert request.type is RequestType.ERASURE

    def checkpoint(self) -> None:
        self.verify()

    def _ask(self, who: str, body: Any) -> None:
        self._quiet(lambda: self.rights.submit(who, body, actor=OPERATOR))

    def _quiet(self, call: Any) -> None:
        with contextlib.suppress(ConsentGateError):
            call()

    def verify(self) -> None:
        """What ``ledger verify`` checks: every leaf is in the signed tree, and the tree
        only grew since the checkpoints before."""
        checkpoint = self.stores.ledger.integrate()
        size, root = checkpoint.size, checkpoint.root
        for index, data in self.stores.ledger.leaves(0, size):
            Leaf.decode(data)
            proof = self.stores.ledger.inclusion_proof(index, size)
            verify_inclusion(index, size, leaf_hash(data), proof, root)
        for old_size, old_root in self.checkpoints:
            if 0 < old_size < size:
                proof = self.stores.ledger.consistency_proof(old_size, size)
                verify_consistency(old_size, size, old_root, root, proof)
        self.checkpoints.append((size, root))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(step, min_size=4, max_size=40))
def test_random_histories_keep_the_rights_invariants(history: list[tuple[Any, ...]]) -> None:
    world = World()
    for action in history:
        world.run(action)
    for who in PEOPLE:  # whoever is left can still export, and it matches the ledger
        world.read_all(who)
        world.export(who)
    for who in sorted(world.erased):  # after erasure nothing of the person is ever released
        world.read_all(who)
    world.verify()
