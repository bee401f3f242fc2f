"""The Cambridge Analytica replay.

A personality-quiz app registered for ``academic_research`` gets K installers who consent
for themselves. The app reads each installer's record, then crawls each installer's friends
asking for name, birthday, current city, page likes, political views and religion:

(a) under Graph API v1.0 friend-permission semantics, simulated on the platform data — one
    installer's click releases every friend's profile;
(b) through consentgate over real HTTP — each friend only under their own consent.

Self-contained: its own temporary database, secrets and port; detection off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from consentgate.runtime import Runtime
from consentgate.sim.world import World, checked, open_world
from consentgate.tokens import mint_subject_token

__all__ = ["CRAWLED_FIELDS", "ReplayResult", "run_replay"]

CRAWLED_FIELDS = ["name", "birthday", "current_city", "page_likes", "political_views", "religion"]
INSTALLER_CONSENT = ["name", "birthday", "current_city", "page_likes", "friends"]
PURPOSE = "academic_research"


@dataclass(frozen=True)
class ReplayResult:
    installers: int
    legacy_exposed_subjects: int
    legacy_special_category_values: int
    gateway_exposed_subjects: int
    gateway_special_category_values: int
    ledger_entries: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "installers": self.installers,
            "legacy_exposed_subjects": self.legacy_exposed_subjects,
            "legacy_amplification": round(self.legacy_exposed_subjects / self.installers, 2),
            "gateway_exposed_subjects": self.gateway_exposed_subjects,
            "gateway_amplification": round(self.gateway_exposed_subjects / self.installers, 2),
            "legacy_special_category_values": self.legacy_special_category_values,
            "gateway_special_category_values": self.gateway_special_category_values,
            "ledger_entries": self.ledger_entries,
        }


def run_replay(*, subjects: int = 20_000, installs: int = 50, seed: int = 1) -> ReplayResult:
    with open_world(subjects=subjects, seed=seed, detect=False) as world:
        installers = world.sample_adults(installs, random.Random(seed))
        legacy = _legacy(world.runtime, installers)
        gateway = _gateway(world, installers)
        ledger_entries = world.runtime.stores.ledger.size()
    return ReplayResult(
        installers=len(installers),
        legacy_exposed_subjects=legacy[0],
        legacy_special_category_values=legacy[1],
        gateway_exposed_subjects=gateway[0],
        gateway_special_category_values=gateway[1],
        ledger_entries=ledger_entries,
    )


def _legacy(runtime: Runtime, installers: list[str]) -> tuple[int, int]:
    """Graph API v1.0: the installer's token reads every friend's profile."""
    exposed: set[str] = set()
    special: set[tuple[str, str]] = set()
    for installer in installers:
        reached = [installer, *runtime.source.friends(installer)]
        records = runtime.source.fetch(reached, CRAWLED_FIELDS)
        for subject_id, record in records.items():
            if any(record.get(f) not in (None, [], "") for f in CRAWLED_FIELDS):
                exposed.add(subject_id)
            for name in ("political_views", "religion"):
                if record.get(name) not in (None, ""):
                    special.add((subject_id, name))
    return len(exposed), len(special)


def _gateway(world: World, installers: list[str]) -> tuple[int, int]:
    """The same app through consentgate: installers consent over HTTP with their own
    tokens, then the app reads and crawls."""
    http = world.http
    exposed: set[str] = set()
    special: set[tuple[str, str]] = set()
    app = world.register(
        "thisisyourdigitallife", purposes=[PURPOSE], fields=[*CRAWLED_FIELDS, "friends"]
    )
    for installer in installers:
        token = mint_subject_token(installer, world.subject_secret)
        checked(
            http.post(
                "/v1/me/consents",
                headers={"Authorization": f"Bearer {token}"},
                json={"app_id": app.id, "purpose": PURPOSE, "fields": INSTALLER_CONSENT},
            )
        )
    crawl = {"fields": ",".join(CRAWLED_FIELDS), "purpose": PURPOSE}
    for subject in world.scoped_ids(app, purpose=PURPOSE):
        response = http.get(f"/v1/subjects/{subject}", headers=app.headers, params=crawl)
        if response.status_code == 200:
            _count(response.json(), exposed, special)
        cursor = None
        while True:
            params = crawl | ({"cursor": cursor} if cursor else {})
            friends = http.get(
                f"/v1/subjects/{subject}/friends", headers=app.headers, params=params
            )
            if friends.status_code != 200:
                break
            body = friends.json()
            for item in body["data"]:
                _count(item, exposed, special)
            cursor = body["paging"]["next"]
            if cursor is None:
                break
    return len(exposed), len(special)


def _count(item: dict[str, Any], exposed: set[str], special: set[tuple[str, str]]) -> None:
    data = item.get("data") or {}
    if any(value not in (None, [], "") for value in data.values()):
        exposed.add(item["id"])
    for name in ("political_views", "religion"):
        if data.get(name) not in (None, ""):
            special.add((item["id"], name))
