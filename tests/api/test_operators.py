"""Keys over real HTTP (issue 11, item 9): operator keys listed and revoked by an admin (a
revoked key is refused at once; who revoked it is kept), the seeded admin key rotated with
its variable, client secrets rotated (the old secret and every token issued under it stop
working), and every such change recorded with the acting key's id."""

from __future__ import annotations

import httpx

from consentgate.operators import Role, create_operator_key, seed_operator_key
from tests.support import LiveApp, LiveServer, adults, assert_envelope, grant, make_live_app, read


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _admin_id(http: httpx.Client, server: LiveServer) -> str:
    keys = http.get("/v1/operators", headers=server.operator_headers).json()["data"]
    [mine] = [k for k in keys if k["label"] == "tests" and k["revoked_us"] is None]
    return str(mine["id"])


def test_an_admin_lists_and_revokes_operator_keys(
    http: httpx.Client, live_server: LiveServer
) -> None:
    operators = live_server.runtime.stores.operators
    dpo = create_operator_key(operators, role=Role.DPO, label="dpo to revoke")
    assert http.get("/v1/apps", headers=_bearer(dpo)).status_code == 200
    listed = http.get("/v1/operators", headers=live_server.operator_headers)
    assert listed.status_code == 200
    assert "key_hash" not in listed.text
    assert dpo not in listed.text
    [entry] = [k for k in listed.json()["data"] if k["label"] == "dpo to revoke"]
    assert (entry["role"], entry["revoked_us"], entry["created_by"]) == ("dpo", None, "system:cli")
    # a DPO may neither list nor revoke keys
    assert_envelope(http.get("/v1/operators", headers=_bearer(dpo)), 403, "FORBIDDEN")
    assert_envelope(
        http.delete(f"/v1/operators/{entry['id']}", headers=_bearer(dpo)), 403, "FORBIDDEN"
    )
    revoked = http.delete(f"/v1/operators/{entry['id']}", headers=live_server.operator_headers)
    assert revoked.status_code == 200, revoked.text
    admin_id = _admin_id(http, live_server)
    assert revoked.json()["revoked_by"] == f"operator:{admin_id}"
    assert revoked.json()["revoked_us"] is not None
    assert_envelope(http.get("/v1/apps", headers=_bearer(dpo)), 401, "INVALID_TOKEN")
    again = http.delete(f"/v1/operators/{entry['id']}", headers=live_server.operator_headers)
    assert_envelope(again, 404, "NOT_FOUND")
    # a key cannot revoke itself (no lock-out by accident)
    own = http.delete(f"/v1/operators/{admin_id}", headers=live_server.operator_headers)
    assert_envelope(own, 409, "CONFLICT")
    assert http.get("/v1/operators", headers=live_server.operator_headers).status_code == 200


def test_rotating_the_seeded_admin_key_ends_the_old_one(
    http: httpx.Client, live_server: LiveServer
) -> None:
    operators = live_server.runtime.stores.operators
    first, second = "cgop_first-seeded-admin-key-0123456789", "cgop_second-seeded-admin-0123456789"
    seed_operator_key(operators, first)
    assert http.get("/v1/operators", headers=_bearer(first)).status_code == 200
    seed_operator_key(operators, first)  # a restart with the same value changes nothing
    assert http.get("/v1/operators", headers=_bearer(first)).status_code == 200
    seed_operator_key(operators, second)  # CONSENTGATE_ADMIN_KEY changed
    assert_envelope(http.get("/v1/operators", headers=_bearer(first)), 401, "INVALID_TOKEN")
    keys = http.get("/v1/operators", headers=_bearer(second)).json()["data"]
    seeded = [k for k in keys if k["label"] == "seeded from CONSENTGATE_ADMIN_KEY"]
    assert [k["revoked_by"] for k in seeded] == ["system:admin-key-seed", None]


def test_rotating_a_client_secret_ends_the_old_secret_and_its_tokens(
    http: httpx.Client, live_server: LiveServer
) -> None:
    app = make_live_app(http, live_server)
    subject = adults(live_server)[92]
    grant(http, live_server, subject, app, ["name"])
    scoped = live_server.runtime.sealer.scoped_id(app.id, subject)
    assert read(http, app, scoped, "name").status_code == 200
    auditor = create_operator_key(live_server.runtime.stores.operators, role=Role.AUDITOR)
    assert_envelope(http.post(f"/v1/apps/{app.id}/secret", headers=_bearer(auditor)), 403)
    dpo = create_operator_key(live_server.runtime.stores.operators, role=Role.DPO, label="d")
    rotated = http.post(f"/v1/apps/{app.id}/secret", headers=_bearer(dpo))
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["client_id"] == app.client_id
    assert body["client_secret"].startswith("cgs_")
    assert body["client_secret"] != app.client_secret
    # the old token is refused at once, on the read path and elsewhere
    assert_envelope(read(http, app, scoped, "name"), 401, "INVALID_TOKEN")
    assert_envelope(http.get("/v1/app/subjects", headers=app.headers), 401, "INVALID_TOKEN")
    old = _token(http, app.client_id, app.client_secret)
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    fresh = _token(http, app.client_id, body["client_secret"])
    assert fresh.status_code == 200, fresh.text
    renewed = LiveApp(app.id, app.client_id, body["client_secret"], fresh.json()["access_token"])
    assert read(http, renewed, scoped, "name").status_code == 200
    # recorded with the acting key's id
    events = live_server.runtime.stores.apps.events(app.id)
    keys = http.get("/v1/operators", headers=live_server.operator_headers).json()["data"]
    [dpo_id] = [k["id"] for k in keys if k["label"] == "d" and k["revoked_us"] is None]
    assert ("secret_rotated", f"operator:{dpo_id}") in [(e.event, e.actor) for e in events]
    approved = [e.actor for e in events if e.event == "approved"]
    assert approved == [f"operator:{_admin_id(http, live_server)}"]
    missing = http.post("/v1/apps/app_nope/secret", headers=_bearer(dpo))
    assert_envelope(missing, 404)


def _token(http: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
