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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from consentgate.api import create_app
from consentgate.api.tokens import DEMO_SUBJECT_KEY_NAME, mint_subject_token
from consentgate.clock import age_on, utc_now
from consentgate.operators import Role, create_operator_key
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings
from consentgate.sim.server import serve_in_background
from consentgate.sources.synthetic import generate_platform
from consentgate.storage.secrets import server_secret
from consentgate.storage.tables import ledger_leaves

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
    with tempfile.TemporaryDirectory(prefix="consentgate-demo-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
            detect=False,
        )
        runtime = open_runtime(settings)
        try:
            generate_platform(runtime.engine, subjects=subjects, seed=seed, catalog=runtime.catalog)
            installers = _installers(runtime, installs, seed)
            legacy = _legacy(runtime, installers)
            gateway = _gateway(runtime, installers)
            with runtime.engine.connect() as connection:
                entries = connection.execute(select(func.count()).select_from(ledger_leaves))
                ledger_entries = int(entries.scalar_one())
        finally:
            runtime.close()
    return ReplayResult(
        installers=len(installers),
        legacy_exposed_subjects=legacy[0],
        legacy_special_category_values=legacy[1],
        gateway_exposed_subjects=gateway[0],
        gateway_special_category_values=gateway[1],
        ledger_entries=ledger_entries,
    )


def _installers(runtime: Runtime, count: int, seed: int) -> list[str]:
    """``count`` subjects, drawn by seed, who can consent alone today."""
    catalog = runtime.catalog
    everyone = [str(i) for i in range(1, _subject_count(runtime) + 1)]
    today = utc_now().date()
    adults = [
        s.id
        for s in runtime.source.attributes(everyone).values()
        if s.birth_date is not None
        and age_on(s.birth_date, today) >= catalog.age_of_consent(s.country)
    ]
    if count > len(adults):
        raise ValueError(f"only {len(adults)} subjects can consent alone; ask for fewer installs")
    return sorted(random.Random(seed).sample(adults, count), key=int)


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


def _gateway(runtime: Runtime, installers: list[str]) -> tuple[int, int]:
    subject_secret = server_secret(runtime.engine, DEMO_SUBJECT_KEY_NAME)
    admin = create_operator_key(runtime.engine, role=Role.ADMIN, label="demo")
    app = create_app(runtime, subject_secret=subject_secret)
    exposed: set[str] = set()
    special: set[tuple[str, str]] = set()
    with serve_in_background(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        operator = {"Authorization": f"Bearer {admin}"}
        registered = _ok(
            http.post(
                "/v1/apps",
                headers=operator,
                json={
                    "name": "thisisyourdigitallife",
                    "developer": {
                        "name": "Global Science Research",
                        "email": "research@gsr.example",
                        "country": "GB",
                    },
                    "purposes": [PURPOSE],
                    "fields": dict.fromkeys([*CRAWLED_FIELDS, "friends"], "personality research"),
                    "retention_days": 365,
                    "privacy_policy_url": "https://gsr.example/privacy",
                },
            )
        )
        _ok(http.post(f"/v1/apps/{registered['id']}/approve", headers=operator))
        for installer in installers:
            token = mint_subject_token(installer, subject_secret)
            _ok(
                http.post(
                    "/v1/me/consents",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "app_id": registered["id"],
                        "purpose": PURPOSE,
                        "fields": INSTALLER_CONSENT,
                    },
                )
            )
        access = _ok(
            http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": registered["client_id"],
                    "client_secret": registered["client_secret"],
                },
            )
        )["access_token"]
        app_auth = {"Authorization": f"Bearer {access}"}
        scoped: list[str] = []
        cursor: str | None = None
        while True:
            params = {"purpose": PURPOSE} | ({"cursor": cursor} if cursor else {})
            page = _ok(http.get("/v1/app/subjects", headers=app_auth, params=params))
            scoped.extend(item["id"] for item in page["data"])
            cursor = page["paging"]["next"]
            if cursor is None:
                break
        crawl = {"fields": ",".join(CRAWLED_FIELDS), "purpose": PURPOSE}
        for subject in scoped:
            response = http.get(f"/v1/subjects/{subject}", headers=app_auth, params=crawl)
            if response.status_code == 200:
                _count(response.json(), exposed, special)
            cursor = None
            while True:
                params = crawl | ({"cursor": cursor} if cursor else {})
                friends = http.get(
                    f"/v1/subjects/{subject}/friends", headers=app_auth, params=params
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


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _subject_count(runtime: Runtime) -> int:
    from consentgate.storage.tables import platform_subjects

    with runtime.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(platform_subjects)).scalar_one()
        )
