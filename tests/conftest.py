"""Shared fixtures. Storage tests run on SQLite and PostgreSQL: under ``CI=true`` the
PostgreSQL ones must connect (a failure is a failure, never a skip); elsewhere they run when
a server answers. Each run works in its own PostgreSQL schema, dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from consentgate.api import create_app
from consentgate.apps import approve_app, register_app
from consentgate.authz import Actor
from consentgate.catalog import Catalog, default_catalog
from consentgate.consent import Consent, ReceiptSigner
from consentgate.operators import Role, create_operator_key
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings
from consentgate.sim.server import serve_in_background
from consentgate.sim.world import SimApp as LiveApp
from consentgate.sources.synthetic import PlatformSource, generate_platform, platform_stats
from consentgate.storage import Database, make_engine, migrate
from consentgate.storage.tables import ledger_leaves
from consentgate.stores import MemoryStores, Stores, open_stores
from consentgate.tokens import mint_subject_token

POSTGRES_URL = os.environ.get(
    "CONSENTGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PLATFORM_SUBJECTS = 400
PLATFORM_SEED = 11


def _postgres_available() -> str | None:
    """None when reachable, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.__class__.__name__}"
    return None


def _require_postgres() -> None:
    problem = _postgres_available()
    if problem is not None:
        if UNDER_CI:
            pytest.fail(f"{problem} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(problem)


@contextmanager
def _fresh_schema() -> Iterator[str]:
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The storage tests' PostgreSQL database (one schema for the whole run)."""
    _require_postgres()
    with _fresh_schema() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL schema of its own for a module's server."""
    _require_postgres()
    with _fresh_schema() as url:
        yield url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'consentgate.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def engine(database_url: str, catalog: Catalog) -> Iterator[Engine]:
    """A migrated database holding a small demo platform (shared by the session's tests;
    tests create their own apps, so they never see each other's state)."""
    engine = make_engine(database_url)
    migrate(engine)
    generate_platform(
        engine, subjects=PLATFORM_SUBJECTS, seed=PLATFORM_SEED, catalog=catalog, replace=True
    )
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def stores(engine: Engine) -> Stores:
    """Every store on the session's database (SQLite and PostgreSQL)."""
    return open_stores(Database(engine))


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"],
)
def bundle(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stores]:
    """Every store on a migrated SQLite file, on PostgreSQL, or in memory."""
    if request.param == "memory":
        yield MemoryStores()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('stores') / 's.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")  # a schema of its own
    db = Database.open(url)
    try:
        yield open_stores(db)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def source(engine: Engine, catalog: Catalog) -> PlatformSource:
    return PlatformSource(engine, catalog=catalog)


@pytest.fixture(scope="session")
def signer(engine: Engine) -> ReceiptSigner:
    return ReceiptSigner.load_or_create(Database(engine))


@pytest.fixture(scope="session")
def adult_id(source: PlatformSource, catalog: Catalog) -> str:
    """A demo subject old enough to consent alone, with a known birth date."""
    return _subjects_by_age(source, catalog, minor=False)[0]


@pytest.fixture(scope="session")
def minor_id(source: PlatformSource, catalog: Catalog) -> str:
    """A demo subject under their country's age of digital consent at NOW."""
    return _subjects_by_age(source, catalog, minor=True)[0]


def _subjects_by_age(source: PlatformSource, catalog: Catalog, *, minor: bool) -> list[str]:
    ids = [str(i) for i in range(1, PLATFORM_SUBJECTS + 1)]
    found = []
    for subject in source.attributes(ids).values():
        assert subject.birth_date is not None
        age = (
            NOW.year
            - subject.birth_date.year
            - ((NOW.month, NOW.day) < (subject.birth_date.month, subject.birth_date.day))
        )
        if (age < catalog.age_of_consent(subject.country)) == minor:
            found.append(subject.id)
    assert found, "the demo platform should hold both adults and minors"
    return found


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


# the operator the library tests act as (recorded with each app event)
OPERATOR = Actor.operator("op_tests", Role.ADMIN)


@pytest.fixture
def approved_app_id(stores: Stores, catalog: Catalog) -> str:
    """A freshly registered app, approved for all it requested."""
    registered = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR)
    approve_app(stores.apps, catalog, registered.app.id, now=NOW, actor=OPERATOR)
    return registered.app.id


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


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


# --- a real consentgate server over HTTP (uvicorn on a free local port) -------------------

SUBJECT_SECRET = b"test-subject-token-secret-0123456789abcdef"


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
    folder: Path, *, database_url: str | None = None, **settings: Any
) -> Iterator[LiveServer]:
    """A consentgate server over the test platform, with ``settings`` (CONSENTGATE_*), on
    ``database_url`` (a fresh SQLite file in ``folder`` by default)."""
    url = database_url or f"sqlite:///{folder / 'gateway.db'}"
    settings.setdefault("subject_token_secret", SUBJECT_SECRET.decode())
    runtime = open_runtime(Settings(database_url=url, **settings))
    if not platform_stats(runtime.engine, catalog=runtime.catalog).subjects:  # a restart
        generate_platform(
            runtime.engine, subjects=PLATFORM_SUBJECTS, seed=PLATFORM_SEED, catalog=runtime.catalog
        )
    admin = create_operator_key(runtime.stores.operators, role=Role.ADMIN, label="tests")
    app = create_app(runtime)
    try:
        with serve_in_background(app) as base_url:
            yield LiveServer(base_url, admin, runtime)
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@contextmanager
def client_of(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_of(live_server) as client:
        yield client


def make_live_app(
    http: httpx.Client, server: LiveServer, *, fields: list[str] | None = None
) -> LiveApp:
    body = dict(REGISTRATION)
    if fields is not None:
        body["fields"] = dict.fromkeys(fields, "needed")
    created = http.post("/v1/apps", json=body, headers=server.operator_headers)
    assert created.status_code == 201, created.text
    app = created.json()
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


@pytest.fixture
def live_app(http: httpx.Client, live_server: LiveServer) -> LiveApp:
    return make_live_app(http, live_server, fields=[*REGISTRATION["fields"], "friends"])
