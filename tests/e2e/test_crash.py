"""Crash safety: kill -9 a real server in the middle of a load of reads, restart it, and
the ledger verifies — and every response the client received with data is in it (I2)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from consentgate.apps import approve_app, register_app
from consentgate.consent import grant_consent
from consentgate.errors import GrantRefused
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.ledger.fsck import check_database
from consentgate.ledger.leaves import Leaf
from consentgate.ledger.store import stored_verifier
from consentgate.ledger.verify import verify_published
from consentgate.runtime import open_runtime
from consentgate.settings import Settings
from consentgate.sim.server import free_port
from consentgate.sources.synthetic import generate_platform
from consentgate.storage import Database, make_engine
from consentgate.storage.secrets import server_secret
from tests.support import OPERATOR, REGISTRATION

LOADED = 100  # reads answered with data before the kill (a second or two of load)
ENV = {
    "CONSENTGATE_ADMIN_KEY": "cgop_crash-test-admin-key-0123456789",
    "CONSENTGATE_SUBJECT_TOKEN_SECRET": "crash-test-subject-secret-0123456789abcdef",
}


def _prepare(url: str) -> tuple[str, str, list[str]]:
    runtime = open_runtime(Settings(database_url=url))
    generate_platform(runtime.engine, subjects=300, seed=2, catalog=runtime.catalog)
    registered = register_app(runtime.stores.apps, runtime.catalog, REGISTRATION, actor=OPERATOR)
    approve_app(runtime.stores.apps, runtime.catalog, registered.app.id, actor=OPERATOR)
    sealer = IdSealer(server_secret(runtime.db, "scoped-ids", size=64))
    scoped = []
    for subject in range(1, 300):
        try:
            grant_consent(
                runtime.stores.consents,
                apps=runtime.stores.apps,
                catalog=runtime.catalog,
                source=runtime.source,
                signer=runtime.signer,
                subject_id=str(subject),
                request={"app_id": registered.app.id, "purpose": "analytics", "fields": ["name"]},
            )
        except GrantRefused:
            continue
        scoped.append(sealer.scoped_id(registered.app.id, str(subject)))
        if len(scoped) == 60:
            break
    runtime.close()
    return registered.app.client_id, registered.client_secret, scoped


def _start(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | ENV | {"CONSENTGATE_DATABASE_URL": url}
    with log.open("ab") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "consentgate", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a child process: polled, it has no hook to wait on
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start: " + log.read_text()[-2000:])


@pytest.mark.slow
def test_kill_9_mid_load_then_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    client_id, client_secret, scoped = _prepare(url)
    port = free_port()
    server = _start(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id,
              "client_secret": client_secret},
    ).json()["access_token"]  # fmt: skip
    received: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    under_load = threading.Event()  # set once enough reads came back with data

    def load(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=5) as http:
            n = offset
            while not stop.is_set():
                n += 1
                try:
                    response = http.get(
                        f"/v1/subjects/{scoped[n % len(scoped)]}",
                        params={"fields": "name", "purpose": "analytics"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    return  # the server died under us
                if response.status_code == 200 and response.json()["data"]:
                    with lock:
                        received.append(response.headers["x-request-id"])
                        if len(received) >= LOADED:
                            under_load.set()

    workers = [threading.Thread(target=load, args=(i * 7,)) for i in range(8)]
    for worker in workers:
        worker.start()
    assert under_load.wait(timeout=60), "the load never got going"
    os.kill(server.pid, signal.SIGKILL)  # mid-load: eight clients are still reading
    server.wait(timeout=10)
    stop.set()
    for worker in workers:
        worker.join(timeout=10)
    assert len(received) >= LOADED

    restarted = _start(url, port, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            # The restarted server is another process: it has no flush hook a test could
            # call, so this polls its public checkpoint until it covers what was received.
            deadline = time.monotonic() + 10
            while True:
                result = verify_published(http)
                if (result.ok and result.size >= len(received)) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert result.ok, result.line()
            leaves = []
            operator = {"Authorization": f"Bearer {ENV['CONSENTGATE_ADMIN_KEY']}"}
            for start in range(0, result.size, 1000):
                page = http.get(
                    "/v1/ledger/leaves",
                    params={"start": start, "end": start + 1000},
                    headers=operator,  # leaf bytes are for operators only
                )
                leaves.extend(page.json()["leaves"])
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=20)
    recorded = {Leaf.decode(base64.b64decode(item["leaf"])).req for item in leaves}
    missing = [r for r in received if r not in recorded]
    assert missing == []
    db = Database(make_engine(url))
    verifier = stored_verifier(db, origin=Settings().ledger_origin)
    assert verifier is not None
    assert check_database(db, verifier).ok
    db.dispose()
