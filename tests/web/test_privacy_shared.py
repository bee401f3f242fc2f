"""The privacy centre's "What was shared" (every proof checked against the signed
checkpoint: in the browser with WebCrypto where JavaScript runs, on the server without),
"Your rights" (the export downloaded as JSON and as a CSV zip, each request filed and
listed with its status and due date) and the consent screen an app sends a person to."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Page, expect

from consentgate.ledger import Checkpoint
from consentgate.ledger.checkpoint import sign_checkpoint
from consentgate.ledger.merkle import MemoryTree
from consentgate.ledger.note import NoteSigner
from tests.support import REGISTRATION, WebSite, make_live_app, read, scoped_ids, web_grant


def _sign_in(page: Page, subject: str) -> None:
    page.goto("/privacy/login")
    page.get_by_label("Demo person id").fill(subject)
    page.get_by_role("button", name="Sign in as demo person").click()
    expect(page.get_by_role("heading", name="Apps with access to your data")).to_be_visible()


def _covered(api: httpx.Client, site: WebSite, subject: str, count: int) -> None:
    """Wait until ``count`` of the subject's disclosures carry a proof (a checkpoint)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = api.get("/v1/me/disclosures", headers=site.subject_headers(subject)).json()
        if sum(1 for d in found["data"] if d["proof"] is not None) >= count:
            return
        time.sleep(0.2)
    raise AssertionError("the disclosures were not covered by a checkpoint in 20 s")


def test_every_disclosure_is_verified_against_the_signed_checkpoint(
    any_page: Page, site: WebSite, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    page = any_page
    javascript = request.node.callspec.params["any_page"]
    name = f"Shared {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    subject, _ = web_grant(api, site, app, ["name", "birthday"], start=100)
    (scoped,) = scoped_ids(api, app)
    for fields in ("name", "name,birthday"):
        assert read(api, app, scoped, fields).status_code == 200
    _covered(api, site, subject, 2)

    _sign_in(page, subject)
    page.get_by_role("link", name="What was shared").click()
    expect(page.get_by_role("heading", name="What was shared")).to_be_visible()
    table = page.get_by_role("table")
    for column in ("App", "Fields", "Purpose", "When", "Proof"):
        expect(table.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    rows = table.get_by_role("row").filter(has_text=name)
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("name, birthday")
    proofs = rows.locator("td.proof")
    expect(proofs).to_have_count(2)
    for i in range(2):
        expect(proofs.nth(i)).to_have_text("Verified")
    for i in range(2):  # checked in the browser where JavaScript runs, else on the server
        expect(proofs.nth(i)).to_have_attribute(
            "data-checked", "browser" if javascript else "server"
        )


def test_the_browser_refuses_a_tampered_leaf(page: Page, site: WebSite, api: httpx.Client) -> None:
    app = make_live_app(api, site)
    subject, _ = web_grant(api, site, app, ["name"], start=110)
    (scoped,) = scoped_ids(api, app)
    assert read(api, app, scoped, "name").status_code == 200
    _covered(api, site, subject, 1)
    _sign_in(page, subject)
    page.goto("/privacy/disclosures")
    proof = page.locator("td.proof").first
    expect(proof).to_have_attribute("data-checked", "browser")
    expect(proof).to_have_text("Verified")
    page.evaluate(
        """() => {
            const row = document.querySelector("tr[data-proof]");
            const leaf = atob(row.dataset.leaf);
            row.dataset.leaf = btoa(leaf.replace("name", "nome"));
            return window.consentgateVerify();
        }"""
    )
    expect(proof).to_have_text("Not verified")


def test_a_person_downloads_the_export_and_files_each_request(
    any_page: Page, site: WebSite, api: httpx.Client
) -> None:
    page = any_page
    app = make_live_app(api, site)
    subject, _ = web_grant(api, site, app, ["name"], start=120)
    _sign_in(page, subject)
    page.get_by_role("link", name="Your rights").click()
    expect(page.get_by_role("heading", name="Your rights")).to_be_visible()

    with page.expect_download() as got:
        page.get_by_role("button", name="Download my data").click()
    document = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert [c["app_id"] for c in document["consents"]] == [app.id]
    page.get_by_label("CSV files in a zip").check()
    with page.expect_download() as got:
        page.get_by_role("button", name="Download my data").click()
    with zipfile.ZipFile(io.BytesIO(Path(got.value.path()).read_bytes())) as archive:
        assert any(n.startswith("consents") for n in archive.namelist()), archive.namelist()

    page.get_by_label("Why").select_option("accuracy_contested")
    page.get_by_role("button", name="Restrict processing").click()
    expect(page.get_by_text("Processing of your data is restricted")).to_be_visible()
    page.get_by_role("checkbox", name="Analytics on the app's own users").check()
    page.get_by_role("button", name="Object").click()
    expect(page.get_by_text("You object to:")).to_be_visible()
    page.get_by_role("button", name="Erase my data").click()
    requests = page.get_by_role("table")
    expect(requests.get_by_role("columnheader", name="Status")).to_be_visible()
    expect(requests.get_by_role("columnheader", name="Due")).to_be_visible()
    for kind in ("restriction", "objection", "erasure"):
        expect(requests.get_by_role("row").filter(has_text=kind)).to_have_count(1)
    queue = api.get("/v1/requests", headers=site.operator_headers).json()["data"]
    mine = [r["type"] for r in queue if r["subject_id"] == subject]
    assert sorted(mine) == ["erasure", "objection", "restriction"]  # erased: only operators see it


def test_the_consent_screen_grants_what_it_shows(
    any_page: Page, site: WebSite, api: httpx.Client
) -> None:
    page = any_page
    name = f"Asks {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    adult, _ = web_grant(api, site, make_live_app(api, site), ["name"], start=130)
    query = urlencode({"app_id": app.id, "purpose": "academic_research", "fields": "name,religion"})
    page.goto(f"/privacy/consent?{query}")  # signed out: sign in first, then back here
    page.get_by_label("Demo person id").fill(adult)
    page.get_by_role("button", name="Sign in as demo person").click()
    expect(page.get_by_role("heading", name=f"{name} asks for your consent")).to_be_visible()
    expect(page.get_by_text("Global Science Research", exact=False).first).to_be_visible()
    expect(page.get_by_text("special category: religious or philosophical beliefs")).to_be_visible()
    expect(page.get_by_role("cell", name="research question")).to_be_visible()
    page.get_by_label("I explicitly consent", exact=False).check()
    page.get_by_role("button", name="Allow").click()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))
    expect(item).to_contain_text("religion")


def _signed_tree(size: int, with_plus: bool) -> tuple[str, str, list[bytes], MemoryTree]:
    """A checkpoint note over ``size`` leaves signed by a fresh key whose verifier string
    holds a "+" in its base64 (or none), the verifier, the leaves and the tree."""
    while True:
        signer = NoteSigner("example.org/log", Ed25519PrivateKey.generate())
        vkey = signer.verifier.encode()
        if ("+" in vkey.split("+", 2)[2]) == with_plus:
            break
    leaves = [f"leaf {i}".encode() for i in range(size)]
    tree = MemoryTree.from_leaves(leaves)
    note = sign_checkpoint(Checkpoint(signer.name, size, tree.root(size)), signer)
    return note, vkey, leaves, tree


@pytest.mark.parametrize("with_plus", [True, False])
def test_the_browser_checks_any_key_and_any_position_in_a_tree(
    page: Page, site: WebSite, with_plus: bool
) -> None:
    """proofs.js against the library's own tree and signed note: every leaf of a 13-leaf
    tree verifies (any key, also one whose base64 holds "+"); a proof for the wrong index
    or a note signed by another key does not."""
    note, vkey, leaves, tree = _signed_tree(13, with_plus)
    _sign_in(page, "11")
    page.goto("/privacy/disclosures")
    rows = [
        {
            "index": i,
            "leaf": base64.b64encode(leaf).decode(),
            "proof": json.dumps(
                {"size": 13, "hashes": [h.hex() for h in tree.inclusion_proof(i, 13)]}
            ),
        }
        for i, leaf in enumerate(leaves)
    ]
    wrong = dict(rows[3], index=4)  # leaf 3's proof presented for index 4
    other_note, _, _, _ = _signed_tree(13, with_plus)
    script = """([note, vkey, rows]) => {
        document.querySelector("main").innerHTML =
            '<pre id="checkpoint"></pre><code id="verifier-key"></code>' +
            '<table id="disclosures"><tbody></tbody></table>';
        document.getElementById("checkpoint").textContent = note;
        document.getElementById("verifier-key").textContent = vkey;
        const body = document.querySelector("#disclosures tbody");
        for (const r of rows) {
            const tr = document.createElement("tr");
            tr.dataset.index = r.index; tr.dataset.leaf = r.leaf; tr.dataset.proof = r.proof;
            tr.innerHTML = '<td class="proof"></td>';
            body.appendChild(tr);
        }
        return window.consentgateVerify();
    }"""
    page.evaluate(script, [note, vkey, [*rows, wrong]])
    cells = page.locator("#disclosures td.proof")
    expect(cells).to_have_count(14)
    for i in range(13):
        expect(cells.nth(i)).to_have_text("Verified")
    expect(cells.nth(13)).to_have_text("Not verified")
    page.evaluate(script, [other_note, vkey, rows[:1]])  # signed by another key
    expect(page.locator("#disclosures td.proof").first).to_have_text("Not verified")
