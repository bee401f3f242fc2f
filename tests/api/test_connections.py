"""Connections as the attacker held them (issue 11, item 5), with raw sockets against a
real ``consentgate serve`` process: a head trickled a byte every two seconds is cut off,
a body that stops coming is answered 408, a huge head is 431 (never 200), hundreds of
half-open connections do not keep real requests out, and the connection cap answers 503
only while the cap is held."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import ServeProcess, serve_process

HEAD_TIMEOUT = 3
BODY_TIMEOUT = 3
MAX_HEADER = 8192


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve_process(
        tmp_path_factory.mktemp("connections"),
        http_head_timeout_seconds=str(HEAD_TIMEOUT),
        http_body_timeout_seconds=str(BODY_TIMEOUT),
        http_max_header_bytes=str(MAX_HEADER),
        http_max_connections="600",
    ) as process:
        yield process


def connect(served: ServeProcess) -> socket.socket:
    address = urlsplit(served.base_url)
    assert address.hostname is not None
    assert address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def closed_within(connection: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing, if it closed within ``seconds``; else None."""
    received = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([connection], [], [], left)
        if readable:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
    return None


def test_a_head_trickled_byte_by_byte_is_cut_off(served: ServeProcess) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"s" * 100
    started = time.monotonic()
    with connect(served) as connection:
        for byte in head:
            try:
                connection.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if closed_within(connection, 2) is not None:
                break
        else:
            pytest.fail("a trickled head was still accepted after 200 s")
    assert time.monotonic() - started < HEAD_TIMEOUT + 4


def test_a_body_that_stops_coming_is_408(served: ServeProcess) -> None:
    with connect(served) as connection:
        connection.sendall(
            b"POST /v1/apps HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"name":'
        )
        answer = closed_within(connection, BODY_TIMEOUT + 4)
    assert answer is not None, "the server still waits for the body"
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


@pytest.mark.parametrize("size", [MAX_HEADER + 1, 4 * 1024 * 1024])
def test_a_huge_head_is_431_or_closed_never_200(served: ServeProcess, size: int) -> None:
    with connect(served) as connection:
        try:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * size)
            connection.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # cut off while still sending: closed, as it should be
        answer = closed_within(connection, 10) or b""
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:80]
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert httpx.get(f"{served.base_url}/healthz").status_code == 200


def test_worker_processes_apply_the_same_limits(tmp_path_factory: pytest.TempPathFactory) -> None:
    with serve_process(
        tmp_path_factory.mktemp("workers"), workers=2, http_max_header_bytes=str(MAX_HEADER)
    ) as workers:
        for _ in range(4):  # whichever worker accepts the connection
            with connect(workers) as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 20_000)
                connection.sendall(b"\r\n\r\n")
                answer = closed_within(connection, 10) or b""
            assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:80]


def test_half_open_connections_do_not_keep_real_requests_out(served: ServeProcess) -> None:
    with ExitStack() as stack:
        for _ in range(300):
            connection = stack.enter_context(connect(served))
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")  # and never the end
        answers = [httpx.get(f"{served.base_url}/healthz", timeout=5) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5


def test_the_connection_cap_holds_only_while_it_is_held(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with (
        serve_process(
            tmp_path_factory.mktemp("cap"),
            http_head_timeout_seconds="2",
            http_max_connections="20",
        ) as capped,
        ExitStack() as stack,
    ):
        for _ in range(25):
            stack.enter_context(connect(capped))  # idle: not a byte sent
        assert httpx.get(f"{capped.base_url}/healthz", timeout=5).status_code == 503
        time.sleep(3)  # the idle ones are cut at the head deadline
        assert httpx.get(f"{capped.base_url}/healthz", timeout=5).status_code == 200
