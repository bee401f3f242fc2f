"""The test suite's one support module: constants, the PostgreSQL switch, demo-platform
subjects, a real consentgate server over HTTP and the HTTP steps tests share (an approved
app with a token, a subject's consent, a read). Fixtures live in ``conftest.py`` and are
built from these; tests import helpers from here only — never from another test module or
from ``conftest``."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from consentgate.api import create_app
from consentgate.authz import Actor
from consentgate.catalog import Catalog
from consentgate.clock import utc_now
from consentgate.consent import Consent
from consentgate.operators import Role, create_operator_key
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings
from consentgate.sim.server import serve_in_background, serve_in_subprocess
from consentgate.sim.world import SimApp as LiveApp
from consentgate.sources import Source
from consentgate.sources.synthetic import generate_platform, platform_stats
from consentgate.storage import Database
from consentgate.storage.secrets import server_secret
from consentgate.storage.tables import ledger_leaves
from consentgate.testing.webhooks import WebhookReceiver
from consentgate.tokens import DEMO_SUBJECT_KEY_NAME, mint_subject_token

__all__ = [
    "NOW",
    "OPERATOR",
    "PLATFORM_SEED",
    "PLATFORM_SUBJECTS",
    "POSTGRES_URL",
    "REDIS_URL",
    "REGISTRATION",
    "ROOT",
    "SUBJECT_SECRET",
    "UNDER_CI",
    "LiveApp",
    "LiveServer",
    "WebSite",
    "adults",
    "assert_envelope",
    "client_of",
    "consent_record",
    "fresh_schema",
    "grant",
    "make_live_app",
    "read",
    "require_chromium",
    "require_postgres",
    "require_redis",
    "scoped_ids",
    "serve_web_site",
    "start_server",
    "subjects_by_age",
    "web_grant",
]

ROOT = Path(__file__).resolve().parents[1]  # the repository
POSTGRES_URL = os.environ.get(
    "CONSENTGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# the detector's shared windows: a database of its own on the machine's Redis
REDIS_URL = os.environ.get("CONSENTGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PLATFORM_SUBJECTS = 400
PLATFORM_SEED = 11
SUBJECT_SECRET = b"test-subject-token-secret-0123456789abcdef"

# the operator the library tests act as (recorded with each app event)
OPERATOR = Actor.operator("op_tests", Role.ADMIN)

REGISTRATION: dict[str, Any] = {
    "name": "Personality Quiz",
    "developer": {"name": "Global Science Research", "email": "dev@gsr.example", "country": "GB"},
    "purposes": ["academic_research", "analytics"],
    "fields": {
        "name": "greet the user",
        "birthday": "age band of the result",
        "current_city": "regional statistics",
        "page_likes": "personality model input",
        "political_views": "research question",
        "religion": "research question",
    },
    "retention_days": 30,
    "privacy_policy_url": "https://quiz.example/privacy",
}


# --- PostgreSQL: mandatory under CI=true, elsewhere when a server answers -----------------


def _postgres_problem() -> str | None:
    """None when reachable, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.__class__.__name__}"
    return None


def require_postgres() -> None:
    """Skip (fail under ``CI=true``) when PostgreSQL does not answer."""
    problem = _postgres_problem()
    if problem is not None:
        if UNDER_CI:
            pytest.fail(f"{problem} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(problem)


def require_redis() -> None:
    """Skip (fail under ``CI=true``) when Redis does not answer at ``REDIS_URL``."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        problem = f"Redis at {REDIS_URL} is unreachable: {exc.__class__.__name__}"
        if UNDER_CI:
            pytest.fail(f"{problem} (CI=true: the Redis tests must run)")
        pytest.skip(problem)
    finally:
        client.close()


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections live in a new schema of their own, dropped afterwards."""
    schema = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- the demo platform's people and the library's records ---------------------------------


def _age(born: Any, on: Any) -> int:
    return int(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def subjects_by_age(
    source: Source, catalog: Catalog, *, minor: bool, at: datetime = NOW, margin: int = 0
) -> list[str]:
    """The demo subjects under (``minor``) or at least ``margin`` years over their country's
    age of digital consent on ``at``, in id order."""
    found = []
    ids = [str(i) for i in range(1, PLATFORM_SUBJECTS + 1)]
    for subject in source.attributes(ids).values():
        assert subject.birth_date is not None
        limit = catalog.age_of_consent(subject.country)
        age = _age(subject.birth_date, at.date())
        if (age < limit) if minor else (age >= limit + margin):
            found.append(subject.id)
    assert found, "the demo platform should hold both adults and minors"
    return found


def consent_record(app_id: str, subject_id: str, consent_id: str) -> Consent:
    """A consent as a store keeps it (for store tests that need one without a grant)."""
    return Consent(
        id=consent_id,
        subject_id=subject_id,
        app_id=app_id,
        purpose="analytics",
        fields=("name",),
        explicit=False,
        parental_consent=None,
        notice_version="1",
        granted_at=NOW,
        renewed_at=None,
        expires_at=NOW + timedelta(days=90),
        withdrawn_at=None,
        receipt="r",
    )


# --- a real consentgate server over HTTP (uvicorn on a free local port) -------------------


@dataclass
class LiveServer:
    base_url: str
    admin_key: str
    runtime: Runtime

    def subject_headers(self, subject_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_subject_token(subject_id, SUBJECT_SECRET)}"}

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def disclosure_count(self) -> int:
        with self.runtime.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(ledger_leaves)).scalar_one()
            )


@contextmanager
def start_server(
    folder: Path, *, database_url: str | None = None, workers: int = 0, **settings: Any
) -> Iterator[LiveServer]:
    """A consentgate server over the test platform, with ``settings`` (CONSENTGATE_*), on
    ``database_url`` (a fresh SQLite file in ``folder`` by default): in a thread of this
    process (``workers=0``), or ``consentgate serve --workers N`` as real processes (then
    ``LiveServer.runtime`` is this process' own view of the same database, never started)."""
    url = database_url or f"sqlite:///{folder / 'gateway.db'}"
    settings.setdefault("subject_token_secret", SUBJECT_SECRET.decode())
    runtime = open_runtime(Settings(database_url=url, **settings))
    if not platform_stats(runtime.engine, catalog=runtime.catalog).subjects:  # a restart
        generate_platform(
            runtime.engine, subjects=PLATFORM_SUBJECTS, seed=PLATFORM_SEED, catalog=runtime.catalog
        )
    admin = create_operator_key(runtime.stores.operators, role=Role.ADMIN, label="tests")
    try:
        if workers:
            env = {"CONSENTGATE_DATABASE_URL": url} | {
                f"CONSENTGATE_{name.upper()}": str(value) for name, value in settings.items()
            }
            with serve_in_subprocess(env, log=folder / "server.log", workers=workers) as base:
                yield LiveServer(base, admin, runtime)
        else:
            with serve_in_background(create_app(runtime)) as base_url:
                yield LiveServer(base_url, admin, runtime)
    finally:
        runtime.close()


@contextmanager
def client_of(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def make_live_app(
    http: httpx.Client,
    server: LiveServer | WebSite,
    *,
    fields: list[str] | None = None,
    registration: dict[str, Any] | None = None,
    receiver: WebhookReceiver | None = None,
) -> LiveApp:
    """An app registered (``registration``, by default ``REGISTRATION``; for ``fields`` when
    given), approved and holding a token, all over HTTP; with ``receiver``, its notices go
    there (signed with the secret the registration returns)."""
    body = dict(REGISTRATION if registration is None else registration)
    if fields is not None:
        body["fields"] = dict.fromkeys(fields, "needed")
    if receiver is not None:
        body["notification_url"] = receiver.url
    created = http.post("/v1/apps", json=body, headers=server.operator_headers)
    assert created.status_code == 201, created.text
    app = created.json()
    if receiver is not None:
        assert app["notification_secret"].startswith("whsec_")
        receiver.secret = app["notification_secret"]
    approved = http.post(f"/v1/apps/{app['id']}/approve", headers=server.operator_headers)
    assert approved.status_code == 200, approved.text
    token = http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    return LiveApp(app["id"], app["client_id"], app["client_secret"], token.json()["access_token"])


def adults(server: LiveServer) -> list[str]:
    """The test platform's subjects over their age of digital consent today by a year."""
    return subjects_by_age(
        server.runtime.source, server.runtime.catalog, minor=False, at=utc_now(), margin=1
    )


def grant(
    http: httpx.Client,
    server: LiveServer | WebSite,
    subject: str,
    app: LiveApp,
    fields: list[str],
    **extra: Any,
) -> dict[str, Any]:
    """The subject's consent to ``app`` for ``academic_research``, over HTTP (201)."""
    response = http.post(
        "/v1/me/consents",
        headers=server.subject_headers(subject),
        json={"app_id": app.id, "purpose": "academic_research", "fields": fields} | extra,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def scoped_ids(http: httpx.Client, app: LiveApp) -> list[str]:
    """The app-scoped ids of the subjects with live consent to ``app``."""
    response = http.get("/v1/app/subjects", headers=app.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def read(http: httpx.Client, app: LiveApp, scoped: str, fields: str) -> httpx.Response:
    """``GET /v1/subjects/{scoped}`` for ``academic_research``."""
    return http.get(
        f"/v1/subjects/{scoped}",
        headers=app.headers,
        params={"fields": fields, "purpose": "academic_research"},
    )


def assert_envelope(response: httpx.Response, status: int, code: str | None = None) -> None:
    """``response`` is the one error envelope with ``status`` (and ``code``)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "status"} <= set(error)
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code


# --- the web pages: a real `consentgate serve --demo` subprocess and Debian's chromium ------

CHROMIUM = Path("/usr/bin/chromium")
WEB_SUBJECTS = 300


def require_chromium() -> str:
    """Debian's chromium (``apt-get install chromium``); skipped when absent, failed under
    ``CI=true`` (the browser tests must run there)."""
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if found is None:
        message = "chromium is not installed (apt-get install chromium)"
        if UNDER_CI:
            pytest.fail(f"{message}: CI=true, the browser tests must run")
        pytest.skip(message)
    return found


@dataclass
class WebSite:
    """A ``consentgate serve --demo`` process the browser tests drive."""

    base_url: str
    admin_key: str
    env: dict[str, str]

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    subject_secret: bytes

    def subject_token(self, subject_id: str) -> str:
        """A platform token for ``subject_id``, signed with the demo platform's secret (read
        from the server's database), as the demo identity provider would."""
        return mint_subject_token(subject_id, self.subject_secret)

    def subject_headers(self, subject_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.subject_token(subject_id)}"}


@contextmanager
def serve_web_site(
    folder: Path, *, showcase: bool = False, subjects: int = WEB_SUBJECTS
) -> Iterator[WebSite]:
    """``consentgate serve --demo`` on a fresh SQLite file with a small platform and a known
    admin key (the showcase apps only when ``showcase``)."""
    admin = "cgop_web_tests_" + uuid.uuid4().hex
    env = {
        "CONSENTGATE_DATABASE_URL": f"sqlite:///{folder / 'web.db'}",
        "CONSENTGATE_ADMIN_KEY": admin,
        "CONSENTGATE_LEDGER_INTEGRATE_MS": "100",
    }
    args = ["--subjects", str(subjects), "--seed", str(PLATFORM_SEED)]
    if not showcase:
        args.append("--no-showcase")
    with serve_in_subprocess(env, log=folder / "serve.log", demo=True, args=args) as base:
        db = Database.open_existing(env["CONSENTGATE_DATABASE_URL"])
        try:
            secret = server_secret(db, DEMO_SUBJECT_KEY_NAME)
        finally:
            db.dispose()
        yield WebSite(base, admin, env, secret)


def web_grant(
    http: httpx.Client,
    site: WebSite,
    app: LiveApp,
    fields: list[str],
    *,
    purpose: str = "academic_research",
    start: int = 1,
    **extra: Any,
) -> tuple[str, dict[str, Any]]:
    """The first subject from ``start`` on who may consent (an adult), with the consent."""
    for number in range(start, start + 60):
        subject = str(number)
        response = http.post(
            "/v1/me/consents",
            headers=site.subject_headers(subject),
            json={"app_id": app.id, "purpose": purpose, "fields": fields} | extra,
        )
        if response.status_code == 201:
            return subject, response.json()
    raise AssertionError("no subject could consent")
