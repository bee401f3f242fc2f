"""The ledger as an auditor meets it: only the public endpoints and the verifier key. Every
read's disclosure is a leaf; checkpoints are signed; the root, inclusion and consistency all
verify; a stored edit is caught; erasure keeps every proof valid."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from consentgate.cli import app as cli
from consentgate.ledger.checkpoint import open_checkpoint
from consentgate.ledger.leaves import Leaf
from consentgate.ledger.merkle import (
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from consentgate.ledger.note import NoteVerifier
from consentgate.ledger.verify import verify_published
from consentgate.rights import shred_subject
from consentgate.storage.tables import consents, ledger_leaves, ledger_nodes, subject_keys
from tests.support import (
    LiveApp,
    LiveServer,
    adults,
    assert_envelope,
    client_of,
    grant,
    make_live_app,
    read,
    start_server,
)


def _read_some(http: httpx.Client, server: LiveServer, app: LiveApp, subject: str) -> str:
    grant(http, server, subject, app, ["name", "birthday"])
    scoped = server.runtime.sealer.scoped_id(app.id, subject)
    for _ in range(3):
        assert read(http, app, scoped, "name,birthday").status_code == 200
    return scoped


def _published_size(server: LiveServer) -> int:
    """Sign a checkpoint of every leaf so far (the integrator's flush hook, no waiting)."""
    return server.runtime.integrator.flush().size


def _leaf_count(server: LiveServer) -> int:
    with server.runtime.engine.connect() as connection:
        return len(connection.execute(select(ledger_leaves.c.idx)).all())


def test_every_read_is_a_leaf_and_the_log_verifies_from_published_material(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp, tmp_path: Path
) -> None:
    subject = adults(live_server)[30]
    _read_some(http, live_server, live_app, subject)
    size = _published_size(live_server)
    assert size == _leaf_count(live_server)
    result = verify_published(http)
    assert result.ok, result.line()
    # inclusion of the subject's leaves, against the published checkpoint
    verifier = NoteVerifier.parse(http.get("/v1/ledger/key").text)
    checkpoint = open_checkpoint(http.get("/v1/ledger/checkpoint").text, verifier)
    leaves = http.get(
        "/v1/ledger/leaves",
        params={"start": 0, "end": checkpoint.size},
        headers=live_server.operator_headers,
    ).json()
    mine = live_server.runtime.stores.ledger.subject_pseudonym(subject)
    found = 0
    for item in leaves["leaves"]:
        data = base64.b64decode(item["leaf"])
        if Leaf.decode(data).subj != mine:
            continue
        found += 1
        proof = http.get(
            "/v1/ledger/proof/inclusion", params={"index": item["index"], "size": checkpoint.size}
        ).json()["hashes"]
        verify_inclusion(
            item["index"], checkpoint.size, leaf_hash(data), [bytes.fromhex(h) for h in proof],
            checkpoint.root,
        )  # fmt: skip
    assert found == 3
    # the CLI: save, read more, verify consistency with the saved checkpoint
    saved = tmp_path / "checkpoint.txt"
    run = CliRunner().invoke(
        cli, ["ledger", "verify", "--url", live_server.base_url, "--save", str(saved)]
    )
    assert run.exit_code == 0, run.stdout
    assert run.stdout.startswith("OK size=")
    _read_some(http, live_server, live_app, adults(live_server)[31])
    newer = _published_size(live_server)
    assert newer > checkpoint.size
    proof = http.get(
        "/v1/ledger/proof/consistency", params={"first": checkpoint.size, "second": newer}
    ).json()["hashes"]
    latest = open_checkpoint(http.get("/v1/ledger/checkpoint").text, verifier)
    verify_consistency(
        checkpoint.size, newer, checkpoint.root, latest.root, [bytes.fromhex(h) for h in proof]
    )
    run = CliRunner().invoke(
        cli, ["ledger", "verify", "--url", live_server.base_url, "--since", str(saved)]
    )
    assert run.exit_code == 0, run.stdout
    forged = tmp_path / "forged.txt"
    forged.write_text(
        saved.read_text().replace("\n", "\n", 1).replace(f"\n{checkpoint.size}\n", "\n1\n")
    )
    run = CliRunner().invoke(
        cli, ["ledger", "verify", "--url", live_server.base_url, "--since", str(forged)]
    )
    assert run.exit_code == 3
    assert run.stdout.startswith("FAIL index=")


def test_the_public_leaves_are_commitments_that_no_app_can_join(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    """The attack of issue 11: an app holding a request id and a scoped id looks for them
    (and any pseudonym) in the public log. It finds hashes only; the operator finds bytes."""
    subject = adults(live_server)[90]
    grant(http, live_server, subject, live_app, ["name"])
    scoped = live_server.runtime.sealer.scoped_id(live_app.id, subject)
    response = read(http, live_app, scoped, "name")
    request_id = response.headers["X-Request-Id"]
    size = _published_size(live_server)
    public = http.get("/v1/ledger/leaves", params={"start": 0, "end": size})
    assert public.status_code == 200
    assert all(set(item) == {"index", "hash"} for item in public.json()["leaves"])
    for secret in (request_id, "ps1:", '"prev"', '"req"', '"ts"', live_app.id):
        assert secret not in public.text
    # the app's own token is no operator key: still hashes only
    as_app = http.get(
        "/v1/ledger/leaves", params={"start": 0, "end": size}, headers=live_app.headers
    )
    assert as_app.status_code == 401 or "leaf" not in as_app.text
    operator = http.get(
        "/v1/ledger/leaves", params={"start": 0, "end": size}, headers=live_server.operator_headers
    ).json()["leaves"]
    assert any(request_id.encode() in base64.b64decode(item["leaf"]) for item in operator)
    # the other public endpoints carry no leaf contents either
    for path in ("/v1/ledger/checkpoint", "/v1/ledger/key", "/v1/receipts/jwks"):
        body = http.get(path).text
        assert request_id not in body
        assert "ps1:" not in body
    result = verify_published(http)
    assert result.ok, result.line()
    with_contents = verify_published(http, operator_key=live_server.admin_key)
    assert with_contents.ok, with_contents.line()
    refused = verify_published(http, operator_key="cgop_" + "x" * 40)
    assert not refused.ok
    assert refused.problem == "the operator key was refused"


def test_contents_the_operator_signed_are_checked_with_an_operator_key(
    tmp_path: Path,
) -> None:
    """A leaf whose chain is broken, signed into the tree all the same: the public tree
    verifies; with an operator key the contents do not."""
    with start_server(tmp_path, detect=False) as server, client_of(server) as http:
        app = make_live_app(http, server)
        subject = adults(server)[0]
        grant(http, server, subject, app, ["name"])
        scoped = server.runtime.sealer.scoped_id(app.id, subject)
        for _ in range(2):
            assert read(http, app, scoped, "name").status_code == 200
        engine = server.runtime.engine
        size = _published_size(server)
        with engine.connect() as connection:
            index, data = connection.execute(
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .order_by(ledger_leaves.c.idx.desc())
                .limit(1)
            ).one()
        broken = bytes(data).replace(b'"prev":' + str(index - 1).encode(), b'"prev":-1', 1)
        assert broken != bytes(data)
        with engine.begin() as connection:  # a rewrite before the tree was signed
            connection.execute(
                text("DELETE FROM ledger_checkpoints WHERE size >= :size"), {"size": size}
            )
            connection.execute(
                text("DELETE FROM ledger_nodes WHERE level = 0 AND idx >= :size"), {"size": index}
            )
            connection.execute(
                update(ledger_leaves).where(ledger_leaves.c.idx == index).values(data=broken)
            )
        _published_size(server)
        assert verify_published(http).ok
        result = verify_published(http, operator_key=server.admin_key)
        assert not result.ok
        assert (result.failed_index, result.problem) == (index, "subject chain broken (prev)")
        run = CliRunner().invoke(
            cli,
            ["ledger", "verify", "--url", server.base_url, "--operator-key", server.admin_key],
        )
        assert run.exit_code == 3
        assert run.stdout.startswith(f"FAIL index={index}: subject chain broken")


def test_an_edited_leaf_is_caught(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    _read_some(http, live_server, live_app, adults(live_server)[32])
    _published_size(live_server)
    engine = live_server.runtime.engine
    with engine.connect() as connection:
        index, original = connection.execute(
            select(ledger_leaves.c.idx, ledger_leaves.c.data).order_by(ledger_leaves.c.idx).limit(1)
        ).one()
    edited = bytes(original).replace(b'"fields":["', b'"fields":["X', 1)
    with engine.begin() as connection:
        connection.execute(
            update(ledger_leaves).where(ledger_leaves.c.idx == index).values(data=edited)
        )
    try:
        result = verify_published(http)
        assert not result.ok
        assert result.line().startswith("FAIL index=")
        run = CliRunner().invoke(cli, ["ledger", "verify", "--url", live_server.base_url])
        assert run.exit_code == 3
    finally:
        with engine.begin() as connection:
            connection.execute(
                update(ledger_leaves).where(ledger_leaves.c.idx == index).values(data=original)
            )
    assert verify_published(http).ok


def test_shredding_keeps_proofs_and_unlinks_the_subject(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[33]
    _read_some(http, live_server, live_app, subject)
    _published_size(live_server)
    pseudonym = live_server.runtime.stores.ledger.subject_pseudonym(subject)
    result = shred_subject(live_server.runtime.stores, subject)
    assert result.erasure_leaf is not None
    assert result.consents_erased == 1
    erasure = Leaf.decode(
        live_server.runtime.stores.ledger.leaves(result.erasure_leaf, result.erasure_leaf + 1)[0][1]
    )
    assert (erasure.kind, erasure.subj) == ("erasure", pseudonym)
    assert verify_published(http).ok
    engine = live_server.runtime.engine
    with engine.connect() as connection:
        keys = select(subject_keys).where(subject_keys.c.subject_id == subject)
        assert connection.execute(keys).first() is None
        rows = select(consents).where(consents.c.subject_id == subject)
        assert connection.execute(rows).first() is None
        # no table that names leaves or consents holds the platform id any more
        for table in ("ledger_leaves", "ledger_nodes", "ledger_checkpoints", "consent_events"):
            dump = " ".join(str(r) for r in connection.execute(text(f"SELECT * FROM {table}")))
            assert f"'{subject}'" not in dump
    assert live_server.runtime.stores.ledger.subject_pseudonym(subject) is None


def test_bad_ledger_parameters_are_4xx(http: httpx.Client) -> None:
    assert_envelope(
        http.get("/v1/ledger/proof/inclusion", params={"index": 5, "size": 10**12}), 400
    )
    assert_envelope(http.get("/v1/ledger/proof/inclusion", params={"index": -1, "size": 3}), 400)
    assert_envelope(http.get("/v1/ledger/proof/consistency", params={"first": 9, "second": 3}), 400)
    assert_envelope(http.get("/v1/ledger/leaves", params={"start": 5, "end": 1}), 400)
    assert_envelope(http.get("/v1/ledger/leaves?start=0&end=2&start=1"), 400)
    assert_envelope(http.get("/v1/ledger/leaves", params={"start": "x", "end": 1}), 400)
    page = http.get("/v1/ledger/leaves", params={"start": 0, "end": 10**9})
    assert page.status_code == 200
    assert len(page.json()["leaves"]) <= 1000


def test_a_subject_can_check_their_disclosures_are_complete_and_proven(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[34]
    _read_some(http, live_server, live_app, subject)
    _published_size(live_server)
    verifier = NoteVerifier.parse(http.get("/v1/ledger/key").text)
    body = http.get("/v1/me/disclosures", headers=live_server.subject_headers(subject)).json()
    assert len(body["data"]) == 3
    by_index = {}
    for item in body["data"]:
        assert item["proof"] is not None
        checkpoint = open_checkpoint(item["checkpoint"], verifier)
        raw = base64.b64decode(item["leaf"])
        verify_inclusion(
            item["index"],
            item["proof"]["size"],
            leaf_hash(raw),
            [bytes.fromhex(h) for h in item["proof"]["hashes"]],
            checkpoint.root,
        )
        assert item["app_id"] == live_app.id
        by_index[item["index"]] = Leaf.decode(raw)
    walked, head = [], body["chain_head"]
    while head != -1:
        walked.append(head)
        head = by_index[head].prev
    assert sorted(walked) == sorted(by_index)
    page = http.get(
        "/v1/me/disclosures?limit=2", headers=live_server.subject_headers(subject)
    ).json()
    rest = http.get(
        "/v1/me/disclosures",
        params={"cursor": page["paging"]["next"]},
        headers=live_server.subject_headers(subject),
    ).json()
    assert [d["index"] for d in page["data"] + rest["data"]] == sorted(by_index)


def test_a_damaged_or_reconfigured_ledger_answers_an_envelope_never_a_500(
    tmp_path: Path,
) -> None:
    """A node a proof needs is deleted, then the server restarts under another ledger
    origin: the person's disclosures and the proof endpoints answer 503 envelopes."""
    with start_server(tmp_path) as server, client_of(server) as http:
        app = make_live_app(http, server)
        subject = adults(server)[50]
        _read_some(http, server, app, subject)
        size = _published_size(server)
        headers = server.subject_headers(subject)
        index = http.get("/v1/me/disclosures", headers=headers).json()["data"][0]["index"]
        needed: list[tuple[int, int]] = []
        inclusion_proof(lambda lv, ix: needed.append((lv, ix)) or b"", index, size)
        level, node = needed[0]
        with server.runtime.engine.begin() as connection:
            connection.execute(
                ledger_nodes.delete().where(
                    ledger_nodes.c.level == level, ledger_nodes.c.idx == node
                )
            )
        assert_envelope(http.get("/v1/me/disclosures", headers=headers), 503, "LEDGER_DAMAGED")
        proof = http.get("/v1/ledger/proof/inclusion", params={"index": index, "size": size})
        assert_envelope(proof, 503, "LEDGER_DAMAGED")
    moved = "elsewhere.example/consentgate/ledger/v1"
    with start_server(tmp_path, ledger_origin=moved) as server, client_of(server) as http:
        headers = server.subject_headers(subject)
        for response in (
            http.get("/v1/me/disclosures", headers=headers),
            http.get("/v1/ledger/proof/inclusion", params={"index": 0, "size": size}),
            http.get("/v1/ledger/proof/consistency", params={"first": 1, "second": size}),
        ):
            assert_envelope(response, 503, "CHECKPOINT_INVALID")


def test_a_missing_tree_node_gives_the_person_an_envelope_not_a_500(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[91]
    _read_some(http, live_server, live_app, subject)
    _published_size(live_server)
    engine = live_server.runtime.engine
    with engine.begin() as connection:
        removed = connection.execute(
            select(ledger_nodes).where(ledger_nodes.c.level == 0).order_by(ledger_nodes.c.idx)
        ).all()
        connection.execute(ledger_nodes.delete().where(ledger_nodes.c.level == 0))
    try:
        response = http.get("/v1/me/disclosures", headers=live_server.subject_headers(subject))
        assert_envelope(response, 503, "LEDGER_DAMAGED")
        assert subject not in response.text
    finally:
        with engine.begin() as connection:
            connection.execute(ledger_nodes.insert(), [row._asdict() for row in removed])
    assert (
        http.get("/v1/me/disclosures", headers=live_server.subject_headers(subject)).status_code
        == 200
    )
