"""The gateway owns the read (I2), on memory stores with a source of its own: a read returns
only after its disclosures are committed, a recorder that fails means nothing is returned,
unknown names are told to the detector — and nothing public in ``consentgate.gateway``
hands out a body that was not recorded."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import pkgutil
import typing
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import consentgate.gateway
from consentgate.apps import approve_app, register_app
from consentgate.catalog import Catalog
from consentgate.consent import ReceiptSigner, grant_consent
from consentgate.detect import Detector, Finding, Thresholds
from consentgate.errors import LedgerUnavailable, UnknownField
from consentgate.gateway import DisclosureRow, Gateway, IdSealer, Watch
from consentgate.policy import SubjectView
from consentgate.stores import MemoryStores
from tests.support import NOW, OPERATOR, REGISTRATION

PURPOSE = "academic_research"


PEOPLE: dict[str, dict[str, Any]] = {
    "a1": {"name": "Ada", "birthday": "1980-01-02", "friends": ["a2"]},
    "a2": {"name": "Bo", "birthday": "1975-05-06", "friends": ["a1"]},
    "a3": {"name": "Cy", "birthday": "1990-07-08", "friends": []},
}


class TinySource:
    """Three people in memory: two adults who are friends, and one more."""

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Any]:
        return {s: {f: PEOPLE[s].get(f) for f in fields} for s in subject_ids if s in PEOPLE}

    def friends(self, subject_id: str) -> list[str]:
        return list(PEOPLE.get(subject_id, {}).get("friends", []))

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]:
        return {
            s: SubjectView(s, "DE", date.fromisoformat(str(PEOPLE[s]["birthday"])))
            for s in subject_ids
            if s in PEOPLE
        }


class Recorder:
    """Records rows when ``release`` is set; or fails, like a ledger that is down."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.rows: list[DisclosureRow] = []
        self.release = asyncio.Event()
        self.release.set()
        self.handed = asyncio.Event()  # set when a read hands over its rows

    async def record(self, rows: Sequence[DisclosureRow]) -> None:
        self.rows.extend(rows)
        self.handed.set()
        await self.release.wait()
        if self.fails:
            raise LedgerUnavailable("the disclosure could not be recorded")


def _world(catalog: Catalog, recorder: Recorder, watch: Watch | None = None) -> tuple[Gateway, str]:
    stores = MemoryStores()
    app_id = register_app(
        stores.apps,
        catalog,
        REGISTRATION | {"fields": {"name": "hi", "birthday": "age", "friends": "f"}},
        actor=OPERATOR,
    ).app.id
    approve_app(stores.apps, catalog, app_id, actor=OPERATOR)
    source = TinySource()
    signer = ReceiptSigner(kid="rk_test", private_key=Ed25519PrivateKey.generate())
    for subject in ("a1", "a2"):
        grant_consent(
            stores.consents,
            apps=stores.apps,
            catalog=catalog,
            source=source,
            signer=signer,
            subject_id=subject,
            request={"app_id": app_id, "purpose": PURPOSE, "fields": ["name", "friends"]},
            now=NOW,
        )
    gateway = Gateway(
        stores=stores,
        catalog=catalog,
        source=source,
        sealer=IdSealer(os.urandom(64)),
        recorder=recorder,
        watch=watch,
        reads_on_loop=True,
    )
    return gateway, app_id


def _read(gateway: Gateway, app_id: str, subject: str, fields: Sequence[str]) -> Any:
    return gateway.read_subject(
        app_id=app_id,
        scoped_id=gateway.sealer.scoped_id(app_id, subject),
        purpose=PURPOSE,
        fields=fields,
        request_id="req_test",
        now=NOW,
    )


def test_a_read_is_returned_only_after_its_disclosure_is_committed(catalog: Catalog) -> None:
    recorder = Recorder()
    gateway, app_id = _world(catalog, recorder)

    async def scenario() -> None:
        recorder.release.clear()  # the commit takes its time
        pending = asyncio.ensure_future(_read(gateway, app_id, "a1", ["name", "birthday"]))
        await asyncio.wait_for(recorder.handed.wait(), timeout=10)
        assert not pending.done()  # prepared, handed to the recorder, not released
        assert [r.subject_id for r in recorder.rows] == ["a1"]
        recorder.release.set()
        read = await pending
        assert read.committed
        assert read.data == {"name": "Ada"}
        assert read.withheld == {"birthday": "FIELD_NOT_CONSENTED"}

    asyncio.run(scenario())


def test_a_recorder_that_fails_means_nothing_is_returned(catalog: Catalog) -> None:
    recorder = Recorder(fails=True)
    gateway, app_id = _world(catalog, recorder)
    with pytest.raises(LedgerUnavailable):
        asyncio.run(_read(gateway, app_id, "a1", ["name"]))
    assert [r.fields for r in recorder.rows] == [("name",)]  # it was about to leave

    async def friends() -> None:
        await gateway.read_friends(
            app_id=app_id,
            scoped_id=gateway.sealer.scoped_id(app_id, "a1"),
            purpose=PURPOSE,
            fields=["name"],
            cursor=None,
            limit=10,
            request_id="req_friends",
            now=NOW,
        )

    with pytest.raises(LedgerUnavailable):
        asyncio.run(friends())


def test_friends_are_released_only_under_their_own_consent_once_recorded(
    catalog: Catalog,
) -> None:
    recorder = Recorder()
    gateway, app_id = _world(catalog, recorder)
    read = asyncio.run(
        gateway.read_friends(
            app_id=app_id,
            scoped_id=gateway.sealer.scoped_id(app_id, "a1"),
            purpose=PURPOSE,
            fields=["name", "birthday"],
            cursor=None,
            limit=10,
            request_id="req_friends",
            now=NOW,
        )
    )
    assert read.committed
    [friend] = read.friends
    assert friend.data == {"name": "Bo"}
    assert [r.subject_id for r in recorder.rows] == ["a1", "a2"]  # friends field, the friend


def test_unknown_names_are_refused_and_told_to_the_detector(catalog: Catalog) -> None:
    contained: list[Finding] = []
    detector = Detector(Thresholds(), consenting=lambda _app: 2)
    watch = Watch(detector, contain=contained.append)
    gateway, app_id = _world(catalog, Recorder(), watch)
    for name in ["password", "phone", "ssn", "salary", "location"] * 2:
        with pytest.raises(UnknownField):
            asyncio.run(_read(gateway, app_id, "a1", ["name", name]))
    assert [f.rule for f in contained] == ["field_sweep"]


# --- the public API hands out committed results only ---------------------------------------


def _public_callables() -> list[tuple[str, Any]]:
    found = []
    for module_info in pkgutil.walk_packages(consentgate.gateway.__path__, "consentgate.gateway."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value):
                found.append((f"{module.__name__}.{name}", value))
            elif inspect.isclass(value):
                for attr, member in vars(value).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        found.append((f"{module.__name__}.{name}.{attr}", member))
    return found


def _named(annotation: Any) -> set[str]:
    names = {getattr(annotation, "__name__", repr(annotation))}
    for argument in typing.get_args(annotation):
        names |= _named(argument)
    return names


def test_nothing_public_returns_a_body_that_was_not_recorded() -> None:
    callables = _public_callables()
    assert len(callables) > 10
    for where, function in callables:
        returned = typing.get_type_hints(function).get("return")
        assert not any("Releasable" in n for n in _named(returned)), where
    for method in (Gateway.read_subject, Gateway.read_friends):
        returned = typing.get_type_hints(method)["return"]
        assert inspect.iscoroutinefunction(method)
        assert returned.committed is True, method.__name__
    # and the releasable types themselves are private to the package
    assert not any("Releasable" in name for name in dir(consentgate.gateway))
