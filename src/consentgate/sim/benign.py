"""Real apps reading their consenting users the way real apps do, against a real server with
detection on: the measure is how many of them get suspended (``false_suspensions``).

Each app has its own users (sizes heavy-tailed, 10 to 400), who consent to what it asks for;
some also consent to analytics. An app's busy hour, played back at full speed:
- a launch: it lists its users and reads each one once (all at once, from a pool of
  workers, for one app in five: the launch-day burst);
- logins: 30-60 % of its users log in one to three times, each login reading the record;
- a periodic sync of every user it was given (including those who have since withdrawn: 3 %
  of users withdraw during the hour, and the sync meets their refusals);
- analytics on its own users, under ``analytics``, for those who consented to it;
- a look at the friends who also use the app, for apps that ask for ``friends``;
- all from one to three server addresses.

Playing an hour back in seconds only makes the apps look busier to the detector's windows,
never calmer.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from consentgate.consent import list_consents, withdraw_consent
from consentgate.sim.world import SimApp, World, checked, open_world

__all__ = ["BenignResult", "run_benign"]

SIZES = [10, 15, 20, 30, 40, 60, 80, 120, 200, 400]
SIZE_WEIGHTS = [14, 14, 14, 12, 10, 10, 8, 8, 6, 4]
PROFILE = ["name", "birthday", "current_city", "page_likes"]


@dataclass
class BenignResult:
    apps: int
    requests: int
    seconds: float
    false_suspensions: int
    suspended: list[dict[str, str]] = field(default_factory=list)
    refusals_seen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Plan:
    app: SimApp
    users: list[str]  # platform ids (for consents and withdrawals)
    fields: list[str]
    friends: bool
    analytics: bool
    launch: bool
    sources: list[str]


def run_benign(*, apps: int = 200, subjects: int = 20_000, seed: int = 1) -> BenignResult:
    rng = random.Random(seed)
    with open_world(subjects=subjects, seed=seed, detect=True) as world:
        plans = [_plan(world, rng, n) for n in range(apps)]
        counter = _Counter()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for done in pool.map(lambda p: _busy_hour(world, p, counter), plans):
                del done
        seconds = time.monotonic() - started
        suspended = []
        for plan in plans:
            shown = checked(world.http.get(f"/v1/apps/{plan.app.id}", headers=world.operator))
            if shown["status"] == "suspended":
                suspended.append({"app_id": plan.app.id, "reason": shown["status_reason"]})
    return BenignResult(
        apps=apps,
        requests=counter.requests,
        seconds=round(seconds, 1),
        false_suspensions=len(suspended),
        suspended=suspended,
        refusals_seen=counter.refusals,
    )


def _plan(world: World, rng: random.Random, n: int) -> _Plan:
    size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
    fields = sorted(rng.sample(PROFILE, rng.randint(1, len(PROFILE))))
    friends = rng.random() < 0.3
    analytics = rng.random() < 0.4
    purposes = ["service_provision", *(["analytics"] if analytics else [])]
    wanted = [*fields, *(["friends"] if friends else [])]
    app = world.register(f"benign-{n}", purposes=purposes, fields=wanted)
    users = world.sample_adults(size, rng)
    world.consent(app, users, purpose="service_provision", fields=wanted)
    if analytics:
        world.consent(app, users[: len(users) // 3], purpose="analytics", fields=fields)
    sources = [f"127.0.0.{1 + n % 200}", f"127.0.1.{1 + n % 200}", f"127.0.2.{1 + n % 200}"]
    launch = rng.random() < 0.2
    return _Plan(app, users, fields, friends, analytics, launch, sources[: rng.randint(1, 3)])


class _Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.refusals = 0
        self._lock = threading.Lock()

    def count(self, response: httpx.Response) -> None:
        with self._lock:
            self.requests += 1
            self.refusals += response.status_code == 403


def _busy_hour(world: World, plan: _Plan, counter: _Counter) -> None:
    rng = random.Random(plan.app.id)
    clients = [
        httpx.Client(
            base_url=world.base_url, timeout=60, transport=httpx.HTTPTransport(local_address=s)
        )
        for s in plan.sources
    ]
    try:
        listed = _listing(clients[0], plan.app)
        ids = [item["id"] for item in listed]
        analytics_ids = [i["id"] for i in listed if "analytics" in i["purposes"]]

        def get(path: str, fields: list[str], purpose: str = "service_provision") -> None:
            client = rng.choice(clients)
            params = {"fields": ",".join(fields), "purpose": purpose}
            counter.count(client.get(path, params=params, headers=plan.app.headers))

        def read(scoped: str) -> None:
            get(f"/v1/subjects/{scoped}", plan.fields)

        if plan.launch:  # every new user read once, all at once
            with ThreadPoolExecutor(max_workers=4) as burst:
                list(burst.map(read, ids))
        for scoped in rng.sample(ids, int(len(ids) * rng.uniform(0.3, 0.6))):
            for _ in range(rng.randint(1, 3)):
                read(scoped)
        _withdraw_some(world, plan, rng)
        for scoped in ids:  # the periodic sync, with the ids it holds
            read(scoped)
        for scoped in analytics_ids:
            get(f"/v1/subjects/{scoped}", plan.fields, "analytics")
        if plan.friends:
            for scoped in rng.sample(ids, max(1, len(ids) // 4)):
                get(f"/v1/subjects/{scoped}/friends", ["name"])
    finally:
        for client in clients:
            client.close()


def _listing(client: httpx.Client, app: SimApp) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = checked(client.get("/v1/app/subjects", headers=app.headers, params=params))
        found.extend(page["data"])
        cursor = page["paging"]["next"]
        if cursor is None:
            return found


def _withdraw_some(world: World, plan: _Plan, rng: random.Random) -> None:
    """3 % of the app's users withdraw (at least one for apps of 30 or more)."""
    leaving = rng.sample(plan.users, round(len(plan.users) * 0.03))
    consents = world.runtime.stores.consents
    for subject in leaving:
        for consent in list_consents(consents, subject_id=subject, app_id=plan.app.id):
            if consent.withdrawn_at is None:
                withdraw_consent(consents, subject_id=subject, consent_id=consent.id)
