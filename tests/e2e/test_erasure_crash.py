"""kill -9 in the middle of an erasure, on a real ``consentgate serve`` process: the
platform's own database (a ``SqlSource`` with configured write statements) is held locked,
so the erasure stops at the source step after its consents and notices are committed; the
server is killed there, the lock released, the server restarted — and the restart finishes
the erasure: the record erased, the key shredded, the one notice delivered (signature
checked), nothing of the person released, the ledger still verifying."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from consentgate.ledger import stored_verifier
from consentgate.ledger.fsck import check_database
from consentgate.settings import Settings
from consentgate.sim.server import free_port
from consentgate.storage import Database, make_engine
from consentgate.testing.webhooks import WebhookReceiver
from consentgate.tokens import DEMO_SUBJECT_AUDIENCE, DEMO_SUBJECT_ISSUER, mint_subject_token

ADMIN = "cgop_rights-crash-admin-key-0123456789"
SUBJECT_SECRET = "rights-crash-subject-secret-0123456789abcdef"
OPERATOR = {"Authorization": f"Bearer {ADMIN}"}

MAPPING = """
format = 1
table = "people"
id_column = "id"
country_column = "country"
birth_date_column = "birthday"
database_url = "sqlite:///{platform}"

[columns]
name = "name"
current_city = "current_city"
birthday = "birthday"
country = "country"

[write]
rectify = "UPDATE people SET {{column}} = :value WHERE id = :subject_id"
erase = ["DELETE FROM people WHERE id = :subject_id"]
"""


def _platform(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT, current_city TEXT, "
            "birthday DATE, country TEXT)"
        )
        connection.executemany(
            "INSERT INTO people VALUES (?, ?, ?, ?, ?)",
            [("1", "Ada", "Dublin", "1980-02-02", "IE"), ("2", "Bo", "Oslo", "1985-03-03", "NO")],
        )


@contextmanager
def _serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "consentgate", "serve", "--port", str(port)]
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=sink, stderr=sink, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.mark.slow
def test_a_kill_mid_erasure_is_completed_by_the_restart(tmp_path: Path) -> None:
    platform = tmp_path / "platform.db"
    _platform(platform)
    (tmp_path / "source.toml").write_text(MAPPING.format(platform=platform))
    database = f"sqlite:///{tmp_path / 'gateway.db'}"
    env = {
        "CONSENTGATE_DATABASE_URL": database,
        "CONSENTGATE_SOURCE": str(tmp_path / "source.toml"),
        "CONSENTGATE_ADMIN_KEY": ADMIN,
        "CONSENTGATE_SUBJECT_TOKEN_SECRET": SUBJECT_SECRET,
        "CONSENTGATE_SUBJECT_TOKEN_ISSUER": DEMO_SUBJECT_ISSUER,
        "CONSENTGATE_SUBJECT_TOKEN_AUDIENCE": DEMO_SUBJECT_AUDIENCE,
        "CONSENTGATE_DETECT": "off",
        "CONSENTGATE_NOTICE_POLL_MS": "100",
    }
    port = free_port("127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    me = {"Authorization": f"Bearer {mint_subject_token('1', SUBJECT_SECRET.encode())}"}
    log = tmp_path / "server.log"
    with WebhookReceiver() as receiver, httpx.Client(base_url=base, timeout=60) as http:
        with _serve(env, port, log) as first:
            registration = {
                "name": "Quiz",
                "developer": {"name": "Dev", "email": "dev@quiz.example", "country": "IE"},
                "purposes": ["analytics"],
                "fields": {"name": "greeting", "current_city": "stats"},
                "retention_days": 30,
                "privacy_policy_url": "https://quiz.example/privacy",
                "notification_url": receiver.url,
            }
            app = http.post("/v1/apps", json=registration, headers=OPERATOR).json()
            receiver.secret = app["notification_secret"]
            http.post(f"/v1/apps/{app['id']}/approve", headers=OPERATOR).raise_for_status()
            token = http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                },
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            http.post(
                "/v1/me/consents",
                headers=me,
                json={"app_id": app["id"], "purpose": "analytics", "fields": ["name"]},
            ).raise_for_status()
            [scoped] = [
                s["id"] for s in http.get("/v1/app/subjects", headers=headers).json()["data"]
            ]
            read = {"fields": "name", "purpose": "analytics"}
            assert (
                http.get(f"/v1/subjects/{scoped}", params=read, headers=headers).status_code == 200
            )

            lock = sqlite3.connect(platform, timeout=1, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")  # the platform's writes now wait
            posting = threading.Thread(
                target=lambda: _quietly(http, me), name="erasure-request", daemon=True
            )
            posting.start()
            request = _wait_for_notices(http)
            notes = [h["note"] for h in request["history"]]  # type: ignore[union-attr]
            assert not [n for n in notes if "erased at the source" in n]
            os.killpg(first.pid, signal.SIGKILL)  # kill -9 while it waits at the source
            first.wait(timeout=10)
            lock.execute("ROLLBACK")
            lock.close()
            posting.join(timeout=30)

        with _serve(env, port, log):
            done = http.get(f"/v1/requests/{request['id']}", headers=OPERATOR).json()
            notes = [h["note"] for h in done["history"]]
            assert [n for n in notes if "erased at the source" in n]
            assert [n for n in notes if "ledger key shredded" in n]
            assert "erasure_resumed" in log.read_text()  # the restart finished it
            assert done["status"] == "in_progress"  # its notice awaits acknowledgement
            [recipient] = done["recipients"]
            assert (
                http.get(f"/v1/subjects/{scoped}", params=read, headers=headers).status_code == 403
            )
            assert http.get("/v1/me/export", headers=me).status_code == 404
            with sqlite3.connect(platform) as connection:
                assert connection.execute("SELECT id FROM people").fetchall() == [("2",)]
            deadline = time.monotonic() + 20
            while not receiver.ids and time.monotonic() < deadline:
                time.sleep(0.1)  # the restarted server's outbox worker delivers it
            assert receiver.ids == [recipient["notice_id"]]
            assert receiver.rejected == 0
            ack = http.post(f"/v1/app/notices/{recipient['notice_id']}/ack", headers=headers)
            assert ack.status_code == 204
            final = http.get(f"/v1/requests/{request['id']}", headers=OPERATOR).json()
            assert final["status"] == "completed"
            assert len(http.get("/v1/app/notices", headers=headers).json()["data"]) == 1

    db = Database(make_engine(database))
    try:
        verifier = stored_verifier(db, origin=Settings().ledger_origin)
        assert verifier is not None
        result = check_database(db, verifier)
        assert result.ok, result.line()
    finally:
        db.dispose()


def _quietly(http: httpx.Client, headers: dict[str, str]) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
        http.post("/v1/me/requests", headers=headers, json={"type": "erasure"})


def _wait_for_notices(http: httpx.Client) -> dict[str, object]:
    """The erasure, once its notices are committed (it then waits at the locked source)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = http.get("/v1/requests", params={"type": "erasure"}, headers=OPERATOR).json()
        for request in found["data"]:
            if any("notices written" in h["note"] for h in request["history"]):
                return dict(request)
        time.sleep(0.05)
    raise AssertionError("the erasure never wrote its notices")
