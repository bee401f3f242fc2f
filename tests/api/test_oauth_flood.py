"""``/oauth/token`` attacked as it was (issue 11, item 2), against a real ``consentgate
serve`` process: forty parallel wrong secrets for a real client neither starve the server
(another app still gets its token, ``/healthz`` answers, the process's memory is bounded by
the verification slots, not by the flood) nor go on for ever (429 ``RATE_LIMITED`` with
``Retry-After`` per client and per address); an unknown client id and a wrong secret cost
and answer alike."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import LiveApp, ServeProcess, assert_envelope, make_live_app, serve_process

ATTACKERS = 40
SLOTS = 4
ARGON2_MIB = 64  # what one verification holds (pwdlib's argon2 default)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve_process(
        tmp_path_factory.mktemp("oauth"),
        oauth_hash_slots=str(SLOTS),
        oauth_failures_per_minute="10",
    ) as process:
        yield process


def client_from(address: str, base_url: str) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any 127.x on Linux)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=60)


def token_request(http: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def new_app(served: ServeProcess) -> LiveApp:
    with httpx.Client(base_url=served.base_url, timeout=60) as http:
        app: LiveApp = make_live_app(http, served)  # type: ignore[arg-type]
        return app


def test_a_flood_of_wrong_secrets_starves_nothing_and_is_cut_off(served: ServeProcess) -> None:
    victim, bystander = new_app(served), new_app(served)
    before = served.peak_rss_mib()
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(ATTACKERS + 1)

    def attack(n: int) -> None:
        with client_from("127.0.0.1", served.base_url) as http:
            start.wait()
            response = token_request(http, victim.client_id, f"cgs_wrong-{n}")
            with lock:
                answers.append(response)

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(0.05)  # the flood is in
    with client_from("127.0.0.2", served.base_url) as other:
        health = other.get("/healthz")
        good = token_request(other, bystander.client_id, bystander.client_secret)
    for thread in threads:
        thread.join()

    assert health.status_code == 200
    assert good.status_code == 200, good.text  # another app is still served its token
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429}, statuses
    limited = [a for a in answers if a.status_code == 429]
    assert len(limited) >= ATTACKERS - 10 - SLOTS  # at most the failure burst is hashed
    for response in limited:
        assert_envelope(response, 429, "RATE_LIMITED")
        assert int(response.headers["retry-after"]) >= 1
    # memory is bounded by the slots, not the flood (unbounded: ~40 x 64 MiB = 2.5 GiB)
    grown = served.peak_rss_mib() - before
    assert grown < SLOTS * ARGON2_MIB + 200, f"peak memory grew by {grown:.0f} MiB"

    # repeated failures lock the client id, from any address ...
    assert _tries_until_limited(
        served.base_url, victim.client_id, addresses=[f"127.0.1.{n}" for n in range(12)]
    )
    with client_from("127.0.2.1", served.base_url) as fresh:
        locked = token_request(fresh, victim.client_id, victim.client_secret)
    assert_envelope(locked, 429, "RATE_LIMITED")
    # ... and the address, for any client
    assert _tries_until_limited(served.base_url, None, addresses=["127.0.3.1"] * 12)
    with client_from("127.0.3.1", served.base_url) as same:
        from_there = token_request(same, bystander.client_id, bystander.client_secret)
    assert_envelope(from_there, 429, "RATE_LIMITED")
    with client_from("127.0.3.2", served.base_url) as elsewhere:
        assert token_request(elsewhere, bystander.client_id, bystander.client_secret).is_success


def _tries_until_limited(base_url: str, client_id: str | None, *, addresses: list[str]) -> int:
    """Wrong secrets one after another (for ``client_id``, or each for an unknown id) from
    ``addresses`` in turn: how many were answered before the first 429 (0: never)."""
    for n, address in enumerate(addresses):
        with client_from(address, base_url) as http:
            response = token_request(http, client_id or f"cg_unknown-{n}", f"cgs_wrong-{n}")
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            return n
        assert response.status_code == 401, response.text
    return 0


def _timed(http: httpx.Client, client_id: str, secret: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = token_request(http, client_id, secret)
    elapsed = time.perf_counter() - started
    assert response.status_code == 401, response.text
    return elapsed, response.json()


def test_an_unknown_client_and_a_wrong_secret_cost_and_answer_alike(served: ServeProcess) -> None:
    app = new_app(served)
    with client_from("127.0.0.9", served.base_url) as http:
        token_request(http, "cg_warm-up-unknown", "cgs_x")  # the first unknown pays the dummy hash
        real = [_timed(http, app.client_id, f"cgs_wrong-{n}") for n in range(3)]
        unknown = [_timed(http, f"cg_nobody-{n}", "cgs_wrong") for n in range(3)]
    assert {str(body) for _, body in real} == {str(body) for _, body in unknown}
    real_s = statistics.median(t for t, _ in real)
    unknown_s = statistics.median(t for t, _ in unknown)
    # unprotected: 1.6 ms against 245 ms; the same work now, so the same order of time
    assert unknown_s > real_s / 3, (unknown_s, real_s)
