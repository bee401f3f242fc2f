"""A self-contained world for the demo and the simulations: its own temporary database with
the seeded demo platform, a real ``consentgate serve`` on a free local port (its own
process, with generated admin key and subject-token secret), and helpers to register apps
over HTTP and give them consenting users.

Consents are written through the library (``grant_consent``, the same code the consent
endpoint runs) rather than one HTTP call each: the simulations are about what apps do with
the API, and thousands of grants over HTTP would only slow them down.
"""

from __future__ import annotations

import random
import secrets
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from consentgate.clock import age_on, utc_now
from consentgate.consent import grant_consent
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import load_settings
from consentgate.sim.server import serve_in_subprocess
from consentgate.sources.synthetic import PlatformSource, generate_platform

__all__ = ["SimApp", "World", "checked", "open_world"]


def checked(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful response; a ``RuntimeError`` naming the call if not."""
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


@dataclass
class SimApp:
    id: str
    client_id: str
    client_secret: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    runtime: Runtime
    base_url: str
    http: httpx.Client
    admin_key: str
    subject_secret: bytes
    workers: int = 1  # server processes: more than one, clients spread their requests
    _adults: list[str] = field(default_factory=list)

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def adults(self) -> list[str]:
        """Subjects who can consent alone today (by their country's age of consent)."""
        if not self._adults:
            catalog = self.runtime.catalog
            source = self.runtime.source
            if not isinstance(source, PlatformSource):
                raise TypeError("the simulations run on the demo platform")
            total = source.subject_count()
            everyone = [str(i) for i in range(1, total + 1)]
            today = utc_now().date()
            self._adults = [
                s.id
                for s in self.runtime.source.attributes(everyone).values()
                if s.birth_date is not None
                and age_on(s.birth_date, today) >= catalog.age_of_consent(s.country)
            ]
        return self._adults

    def sample_adults(self, count: int, rng: random.Random) -> list[str]:
        adults = self.adults()
        if count > len(adults):
            raise ValueError(f"only {len(adults)} subjects can consent alone; ask for fewer")
        return sorted(rng.sample(adults, count), key=int)

    def register(
        self,
        name: str,
        *,
        purposes: Sequence[str],
        fields: Sequence[str],
        approve: bool = True,
        developer_country: str = "IE",
        extra: Mapping[str, Any] | None = None,
    ) -> SimApp:
        """Register (and approve) an app over HTTP and fetch an access token for it;
        ``extra`` adds registration keys (a political app's sponsor and funding)."""
        body = {
            "name": name,
            "developer": {
                "name": f"{name} Ltd",
                "email": "dev@app.example",
                "country": developer_country,
            },
            "purposes": list(purposes),
            "fields": dict.fromkeys(fields, "needed for the app's feature"),
            "retention_days": 90,
            "privacy_policy_url": "https://app.example/privacy",
            **(extra or {}),
        }
        app = checked(self.http.post("/v1/apps", headers=self.operator, json=body))
        if approve:
            checked(self.http.post(f"/v1/apps/{app['id']}/approve", headers=self.operator))
        token = checked(
            self.http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                },
            )
        )["access_token"]
        return SimApp(app["id"], app["client_id"], app["client_secret"], token)

    def consent(
        self,
        app: SimApp,
        subjects: Sequence[str],
        *,
        purpose: str,
        fields: Sequence[str],
        explicit: bool = False,
    ) -> None:
        runtime = self.runtime
        for subject in subjects:
            grant_consent(
                runtime.stores.consents,
                apps=runtime.stores.apps,
                catalog=runtime.catalog,
                source=runtime.source,
                signer=runtime.signer,
                subject_id=subject,
                request={
                    "app_id": app.id,
                    "purpose": purpose,
                    "fields": list(fields),
                    "explicit": explicit,
                },
                policy=runtime.consent_policy,
            )

    def scoped_ids(self, app: SimApp, *, purpose: str | None = None) -> list[str]:
        """Every app-scoped id the gateway lists for the app (all pages)."""
        ids: list[str] = []
        cursor: str | None = None
        while True:
            params = ({"purpose": purpose} if purpose else {}) | (
                {"cursor": cursor} if cursor else {}
            )
            page = checked(self.http.get("/v1/app/subjects", headers=app.headers, params=params))
            ids.extend(item["id"] for item in page["data"])
            cursor = page["paging"]["next"]
            if cursor is None:
                return ids


@contextmanager
def open_world(
    *,
    subjects: int,
    seed: int,
    detect: bool,
    clock: datetime | None = None,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
) -> Iterator[World]:
    """A temporary database with the demo platform, served by ``consentgate serve`` in its
    own process (``workers`` processes) on a free port (the simulation's clients run here,
    in parallel with it). ``clock`` starts both this process's clock and the server's there
    (the demo clock, ``CONSENTGATE_DEMO_CLOCK``); ``env`` adds settings for the server."""
    with tempfile.TemporaryDirectory(prefix="consentgate-sim-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'sim.db'}"
        runtime = open_runtime(
            load_settings(database_url=database_url, detect=detect, demo=True, demo_clock=clock)
        )
        try:
            generate_platform(runtime.engine, subjects=subjects, seed=seed, catalog=runtime.catalog)
            admin = "cgop_" + secrets.token_urlsafe(32)
            subject_secret = secrets.token_urlsafe(48)
            environment = {
                "CONSENTGATE_DATABASE_URL": database_url,
                "CONSENTGATE_DETECT": "on" if detect else "off",
                "CONSENTGATE_ADMIN_KEY": admin,
                "CONSENTGATE_SUBJECT_TOKEN_SECRET": subject_secret,
                **(env or {}),
            }
            if clock is not None:
                environment["CONSENTGATE_DEMO_CLOCK"] = clock.isoformat()
            with (
                serve_in_subprocess(
                    environment, log=Path(folder) / "server.log", demo=True, workers=workers
                ) as base_url,
                httpx.Client(base_url=base_url, timeout=60) as http,
            ):
                yield World(runtime, base_url, http, admin, subject_secret.encode(), workers)
        finally:
            runtime.close()
