"""Harvesting apps against a real consentgate server with detection on.

Each strategy registers its own app, gives it consenting users the way a real launch would,
and then harvests over HTTP until the gateway refuses it as suspended (or a budget runs
out). What is measured per strategy: whether it was contained, the requests and seconds it
took, and how many people's data the app received before that — from the incident (the
gateway's ledger) and, as a cross-check, from what the harvester itself got.

Strategies:
- ``friend-crawl``: the Cambridge Analytica pattern. A quiz app's installers consent for
  themselves; the app reads each installer and crawls their friends (and friends of friends)
  for name, birthday, city, likes, political views and religion.
- ``id-enumeration``: reads its users, then tries ids it was never given (guessed, and
  borrowed from a partner app).
- ``bulk-reread``: re-reads every consenting user again and again.
- ``field-sweep``: asks its users' records for one field after another beyond its approval.
- ``slow-drip``: stays under a naive rate limit (5 requests/s by default), mixing borrowed
  ids into ordinary reads.
- ``purpose-switching``: its users consented for one purpose; it reads them under others.
- ``token-sharing``: one app token used from many network addresses (a scraping farm).
"""

from __future__ import annotations

import base64
import dataclasses
import random
import secrets
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from consentgate.sim.world import SimApp, World, checked, open_world

__all__ = ["STRATEGIES", "Harvest", "HarvestResult", "run_harvest", "run_strategy"]

FIELDS_CA = ["name", "birthday", "current_city", "page_likes", "political_views", "religion"]
PROFILE = ["name", "birthday", "current_city", "page_likes"]
MAX_REQUESTS = 20_000
MAX_SECONDS = 300.0
DRIP_INTERVAL = 0.2  # the slow drip's pause between requests: 5 a second


Requests = Generator["Request", Any, None]  # sent each response body (or None)


@dataclass(frozen=True)
class Request:
    path: str
    params: dict[str, str]
    source: str = "127.0.0.1"


@dataclass
class Harvest:
    """What a strategy needs: its app, its users' scoped ids, and the world."""

    world: World
    app: SimApp
    users: list[str]
    purpose: str
    received: set[str]  # scoped ids the app got data for (filled in by the runner)
    # per scoped id, the fields the app got a value of, and how many disclosures (each
    # record returned, and each friends list) it received (the runner fills them in too)
    fields_received: dict[str, set[str]] = field(default_factory=dict)
    records_received: int = 0


@dataclass(frozen=True)
class HarvestResult:
    strategy: str
    contained: bool
    rule: str | None
    requests_until_containment: int
    seconds_until_containment: float
    subjects_disclosed_before_containment: int
    subjects_received_by_app: int
    incident_id: str | None
    breach_id: str | None = None
    report: str | None = None  # the breach's Art. 33 report (Markdown), when asked for

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "report"}


def _read(subject: str, fields: list[str], purpose: str) -> Request:
    return Request(f"/v1/subjects/{subject}", {"fields": ",".join(fields), "purpose": purpose})


def _friends(subject: str, fields: list[str], purpose: str, cursor: str | None) -> Request:
    params = {"fields": ",".join(fields), "purpose": purpose}
    return Request(
        f"/v1/subjects/{subject}/friends", params | ({"cursor": cursor} if cursor else {})
    )


# --- strategies: set-up, then an endless stream of requests ------------------------------


def _friend_crawl(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    app = world.register("quiz", purposes=["academic_research"], fields=[*FIELDS_CA, "friends"])
    installers = world.sample_adults(300, rng)
    world.consent(app, installers, purpose="academic_research", fields=[*PROFILE, "friends"])
    h = Harvest(world, app, world.scoped_ids(app), "academic_research", set())

    def crawl() -> Requests:
        frontier = list(h.users)
        seen = set(frontier)
        while frontier:
            subject = frontier.pop(0)
            yield _read(subject, FIELDS_CA, h.purpose)
            cursor: str | None = None
            while True:
                page = yield _friends(subject, FIELDS_CA, h.purpose, cursor)
                body: dict[str, Any] = page if isinstance(page, dict) else {}
                for item in body.get("data", []):
                    if item["id"] not in seen:  # friends of friends
                        seen.add(item["id"])
                        frontier.append(item["id"])
                cursor = body.get("paging", {}).get("next")
                if not cursor:
                    break

    return h, crawl()


def _enumeration(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    h = _plain_app(world, rng, "lookup", users=100)
    partner = _partner_ids(world, rng, 200)

    def guess() -> Requests:
        for subject in h.users:
            yield _read(subject, PROFILE, h.purpose)
        while True:
            if rng.random() < 0.5:
                raw = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
                yield _read(raw, PROFILE, h.purpose)
            else:
                yield _read(rng.choice(partner), PROFILE, h.purpose)

    return h, guess()


def _bulk_reread(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    h = _plain_app(world, rng, "mirror", users=300)

    def reread() -> Requests:
        while True:
            for subject in h.users:
                yield _read(subject, PROFILE, h.purpose)

    return h, reread()


def _field_sweep(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    h = _plain_app(world, rng, "sweeper", users=200, fields=["name", "current_city"])
    every = sorted(world.runtime.catalog.fields)

    def sweep() -> Requests:
        while True:
            for subject in h.users:
                for name in every:
                    yield _read(subject, ["name", name], h.purpose)

    return h, sweep()


def _slow_drip(
    world: World, rng: random.Random, *, interval: float = DRIP_INTERVAL
) -> tuple[Harvest, Requests]:
    h = _plain_app(world, rng, "drip", users=200)
    partner = _partner_ids(world, rng, 200)

    def drip() -> Requests:
        while True:
            for subject in h.users:
                time.sleep(interval)  # under any naive per-second limit
                yield _read(subject, PROFILE, h.purpose)
                if rng.random() < 0.2:
                    time.sleep(interval)
                    yield _read(rng.choice(partner), PROFILE, h.purpose)

    return h, drip()


def _purpose_switching(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    app = world.register(
        "switcher",
        purposes=["service_provision", "analytics", "personalised_advertising"],
        fields=PROFILE,
    )
    users = world.sample_adults(200, rng)
    world.consent(app, users, purpose="service_provision", fields=PROFILE)
    h = Harvest(world, app, world.scoped_ids(app), "service_provision", set())
    purposes = ["service_provision", "analytics", "personalised_advertising"]

    def switch() -> Requests:
        while True:
            for subject in h.users:
                for purpose in purposes:
                    yield _read(subject, PROFILE, purpose)

    return h, switch()


def _token_sharing(world: World, rng: random.Random) -> tuple[Harvest, Requests]:
    h = _plain_app(world, rng, "farm", users=300)

    def farm() -> Requests:
        n = 0
        while True:
            for subject in h.users:
                n += 1
                read = _read(subject, PROFILE, h.purpose)
                yield Request(read.path, read.params, source=f"127.0.0.{2 + n % 40}")

    return h, farm()


def _plain_app(
    world: World, rng: random.Random, name: str, *, users: int, fields: list[str] | None = None
) -> Harvest:
    """An app for ``service_provision`` with ``users`` consenting to ``fields``."""
    fields = fields or PROFILE
    app = world.register(name, purposes=["service_provision"], fields=fields)
    world.consent(app, world.sample_adults(users, rng), purpose="service_provision", fields=fields)
    return Harvest(world, app, world.scoped_ids(app), "service_provision", set())


def _partner_ids(world: World, rng: random.Random, users: int) -> list[str]:
    """Scoped ids a partner app was given (borrowed ids: other apps' ids never resolve)."""
    return _plain_app(world, rng, "partner", users=users).users


STRATEGIES: dict[str, Callable[[World, random.Random], tuple[Harvest, Requests]]] = {
    "friend-crawl": _friend_crawl,
    "id-enumeration": _enumeration,
    "bulk-reread": _bulk_reread,
    "field-sweep": _field_sweep,
    "slow-drip": _slow_drip,
    "purpose-switching": _purpose_switching,
    "token-sharing": _token_sharing,
}


# --- the runner -----------------------------------------------------------------------------


def run_harvest(
    strategies: list[str],
    *,
    subjects: int = 20_000,
    seed: int = 1,
    drip_interval: float = DRIP_INTERVAL,
    report: bool = False,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
) -> list[HarvestResult]:
    """Run each strategy (own app, own users) on one world with detection on;
    ``drip_interval`` paces the slow drip (seconds between its requests); ``report`` adds
    each contained strategy's breach report (Markdown). ``workers`` server processes (each
    harvester request then on a connection of its own, so it lands on any of them), with
    ``env`` settings (``CONSENTGATE_REDIS_URL`` to share the detector's windows)."""
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}: choose from {', '.join(STRATEGIES)}")
    with open_world(subjects=subjects, seed=seed, detect=True, workers=workers, env=env) as world:
        return [
            run_strategy(world, name, seed=seed, drip_interval=drip_interval, report=report)[0]
            for name in strategies
        ]


def run_strategy(
    world: World,
    name: str,
    *,
    seed: int = 1,
    drip_interval: float = DRIP_INTERVAL,
    report: bool = False,
) -> tuple[HarvestResult, Harvest]:
    """Run one strategy on ``world`` until contained; the result (with the breach that
    containment opened, and its report when ``report``) and what the app got."""
    rng = random.Random(f"{seed}:{name}")
    if name == "slow-drip":
        harvest, requests = _slow_drip(world, rng, interval=drip_interval)
    else:
        harvest, requests = STRATEGIES[name](world, rng)
    result = _drive(name, harvest, requests)
    if result.contained:
        found = checked(
            world.http.get(
                "/v1/breaches", headers=world.operator, params={"app_id": harvest.app.id}
            )
        )["data"]
        breach_id = found[-1]["id"] if found else None
        text = None
        if report and breach_id is not None:
            answer = world.http.get(
                f"/v1/breaches/{breach_id}/report",
                headers=world.operator,
                params={"format": "md"},
            )
            text = answer.text if answer.status_code == 200 else None
        result = dataclasses.replace(result, breach_id=breach_id, report=text)
    return result, harvest


def _drive(name: str, h: Harvest, requests: Requests) -> HarvestResult:
    clients: dict[str, httpx.Client] = {}
    sent = 0
    started = time.monotonic()
    contained = False
    reply: Any = None
    try:
        while sent < MAX_REQUESTS and time.monotonic() - started < MAX_SECONDS:
            try:
                request = requests.send(reply)
            except StopIteration:
                break
            client = clients.get(request.source)
            if client is None:
                client = clients[request.source] = _client(h.world, request.source)
            response = client.get(request.path, params=request.params, headers=h.app.headers)
            sent += 1
            reply = _note(response, h)
            if response.status_code == 403 and response.json()["error"]["code"] == "APP_SUSPENDED":
                contained = True
                break
        elapsed = time.monotonic() - started
    finally:
        for client in clients.values():
            client.close()
    incident = _incident(h) if contained else None
    return HarvestResult(
        strategy=name,
        contained=contained,
        rule=None if incident is None else incident["rule"],
        requests_until_containment=sent,
        seconds_until_containment=round(elapsed, 2),
        subjects_disclosed_before_containment=(
            incident["subjects_disclosed"] if incident else len(h.received)
        ),
        subjects_received_by_app=len(h.received),
        incident_id=None if incident is None else incident["id"],
    )


def _note(response: httpx.Response, h: Harvest) -> dict[str, Any] | None:
    """Record whose data came back, which fields and how many records; the body, for
    strategies that follow links."""
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    fields = h.fields_received
    if isinstance(body.get("data"), dict) and body["data"]:
        h.received.add(body["id"])
        fields.setdefault(body["id"], set()).update(body["data"])
        h.records_received += 1
    elif isinstance(body.get("data"), list):
        h.received.add(body["id"])  # the subject's own friends list went out, even empty
        fields.setdefault(body["id"], set()).add("friends")
        h.records_received += 1
        for item in body["data"]:
            if item["data"]:
                h.received.add(item["id"])
                fields.setdefault(item["id"], set()).update(item["data"])
                h.records_received += 1
    return body


def _client(world: World, source: str) -> httpx.Client:
    """A client from ``source``; with several server processes, one connection a request
    (the kernel hands each connection to whichever process accepts it first)."""
    keep = 0 if world.workers > 1 else None
    limits = httpx.Limits(max_keepalive_connections=keep)
    transport = httpx.HTTPTransport(local_address=source, limits=limits)
    return httpx.Client(base_url=world.base_url, transport=transport, timeout=60)


def _incident(h: Harvest) -> dict[str, Any] | None:
    listed = checked(
        h.world.http.get("/v1/incidents", headers=h.world.operator, params={"limit": 1000})
    )
    mine = [i for i in listed["data"] if i["app_id"] == h.app.id]
    return mine[-1] if mine else None
