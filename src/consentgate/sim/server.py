"""Run a consentgate server on a free local port — in a background thread (tests), or as a
``consentgate serve`` child process with its own interpreter (the demo and simulations,
whose clients would otherwise share one GIL with the server)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

__all__ = ["free_port", "serve_in_background", "serve_in_subprocess"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_in_background(app: FastAPI, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    port = free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="consentgate-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the consentgate server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def serve_in_subprocess(
    env: Mapping[str, str],
    *,
    log: Path,
    host: str = "127.0.0.1",
    demo: bool = False,
    workers: int = 1,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``consentgate serve`` (``--demo`` when ``demo``, ``--workers`` processes, then
    ``args``) with ``env`` (CONSENTGATE_* settings) until the block ends; its log goes to
    ``log``. Yields its base URL once ``/healthz`` answers (from every worker: each is asked
    on a connection of its own until as many answered as there are workers)."""
    port = free_port(host)
    command = [sys.executable, "-m", "consentgate", "serve", "--host", host, "--port", str(port)]
    if demo:
        command.append("--demo")
    if workers != 1:
        command += ["--workers", str(workers)]
    command += list(args)
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 — our own interpreter and CLI
            command, env={**os.environ, **env}, stdout=sink, stderr=sink, start_new_session=True
        )
        base = f"http://{host}:{port}"
        try:
            _wait_healthy(base, process)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the consentgate server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the consentgate server did not start within 60 s")
