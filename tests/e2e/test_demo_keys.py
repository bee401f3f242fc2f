"""``serve --demo`` as a deployer meets it, in real processes (issue 11): a supplied
``CONSENTGATE_ADMIN_KEY`` is never printed back, a restart does not leave one more valid
key behind (the key the last start printed is revoked), and the demo's master key is
generated into a 0600 file beside the database."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from consentgate.sim.server import free_port

SUPPLIED = "cgop_supplied-by-the-deployer-0123456789"


def _serve(tmp_path: Path, port: int, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    variables = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTGATE_")}
    variables |= {"CONSENTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"} | env
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "consentgate", "serve", "--demo", "--subjects", "40",
             "--port", str(port)],
            env=variables,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # another process: polled, it has no hook
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, log
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start: " + log.read_text()[-2000:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def _printed_key(log: Path) -> str:
    found = re.search(r"operator key \(admin, shown once[^)]*\): (cgop_\S+)", log.read_text())
    assert found is not None, log.read_text()
    return found.group(1)


def _status(port: int, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"http://127.0.0.1:{port}/v1/apps", headers=headers).status_code


@pytest.mark.slow
def test_demo_restarts_and_a_supplied_admin_key(tmp_path: Path) -> None:
    port = free_port()
    process, log = _serve(tmp_path, port)
    try:
        first = _printed_key(log)
        assert _status(port, first) == 200
    finally:
        _stop(process)
    key_file = tmp_path / "demo.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "demo.db").stat().st_mode) == 0o600
    process, log = _serve(tmp_path, port)
    try:
        second = _printed_key(log)
        assert second != first
        assert _status(port, second) == 200
        assert _status(port, first) == 401  # the last start's key no longer works
    finally:
        _stop(process)
    process, log = _serve(tmp_path, port, CONSENTGATE_ADMIN_KEY=SUPPLIED)
    try:
        printed = log.read_text()
        assert SUPPLIED not in printed
        assert "$CONSENTGATE_ADMIN_KEY" in printed
        assert "operator key (admin" not in printed  # no new key minted either
        assert _status(port, SUPPLIED) == 200
    finally:
        _stop(process)
