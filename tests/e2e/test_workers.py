"""Many workers, one ledger: ``consentgate serve --workers 2`` (real processes) on SQLite
and PostgreSQL under concurrent reads — zero errors, one leaf per answered read, and the
stored ledger verifies end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from consentgate.settings import Settings
from tests.support import (
    LiveApp,
    LiveServer,
    adults,
    client_of,
    fresh_schema,
    grant,
    make_live_app,
    read,
    require_postgres,
    scoped_ids,
    start_server,
)

CLIENTS = 8
READS_EACH = 40


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        with start_server(tmp_path, workers=2) as server:
            yield server
        return
    require_postgres()
    with fresh_schema() as url, start_server(tmp_path, database_url=url, workers=2) as server:
        yield server


def _load(server: LiveServer, app: LiveApp, scoped: list[str]) -> Counter[int]:
    """``CLIENTS`` threads, each on connections of its own, ``READS_EACH`` reads apiece."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(offset: int) -> None:
        mine: Counter[int] = Counter()
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            for n in range(READS_EACH):
                mine[read(http, app, scoped[(offset + n) % len(scoped)], "name").status_code] += 1
        with lock:
            statuses.update(mine)

    threads = [threading.Thread(target=client, args=(i * 5,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.slow
def test_two_workers_append_every_read_once_and_the_ledger_verifies(
    two_workers: LiveServer,
) -> None:
    server = two_workers
    with client_of(server) as http:
        app = make_live_app(http, server)
        for subject in adults(server)[:12]:
            grant(http, server, subject, app, ["name"])
        scoped = scoped_ids(http, app)
        before = server.disclosure_count()
        statuses = _load(server, app, scoped)
    assert statuses == Counter({200: CLIENTS * READS_EACH})  # no 503: no index handed out twice
    assert server.disclosure_count() - before == CLIENTS * READS_EACH
    url = str(server.runtime.engine.url.render_as_string(hide_password=False))
    verified = subprocess.run(
        [sys.executable, "-m", "consentgate", "ledger", "verify", "--database", url],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"CONSENTGATE_LEDGER_ORIGIN": Settings().ledger_origin},
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
