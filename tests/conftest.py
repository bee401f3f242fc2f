"""The suite's fixtures, and only fixtures (helpers and constants are in ``support.py``).
Storage tests run on SQLite and PostgreSQL: under ``CI=true`` the PostgreSQL ones must
connect (a failure is a failure, never a skip); elsewhere they run when a server answers.
Each run works in its own PostgreSQL schema, dropped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from consentgate.apps import approve_app, register_app
from consentgate.catalog import Catalog, default_catalog
from consentgate.consent import ReceiptSigner
from consentgate.sources.synthetic import PlatformSource, generate_platform
from consentgate.storage import Database, make_engine, migrate
from consentgate.stores import MemoryStores, Stores, open_stores
from tests.support import (
    NOW,
    OPERATOR,
    PLATFORM_SEED,
    PLATFORM_SUBJECTS,
    REGISTRATION,
    ROOT,
    LiveApp,
    LiveServer,
    client_of,
    fresh_schema,
    make_live_app,
    require_postgres,
    start_server,
    subjects_by_age,
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The storage tests' PostgreSQL database (one schema for the whole run)."""
    require_postgres()
    with fresh_schema() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL schema of its own for a module's server."""
    require_postgres()
    with fresh_schema() as url:
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
    return subjects_by_age(source, catalog, minor=False)[0]


@pytest.fixture(scope="session")
def minor_id(source: PlatformSource, catalog: Catalog) -> str:
    """A demo subject under their country's age of digital consent at NOW."""
    return subjects_by_age(source, catalog, minor=True)[0]


@pytest.fixture
def approved_app_id(stores: Stores, catalog: Catalog) -> str:
    """A freshly registered app, approved for all it requested."""
    registered = register_app(stores.apps, catalog, REGISTRATION, now=NOW, actor=OPERATOR)
    approve_app(stores.apps, catalog, registered.app.id, now=NOW, actor=OPERATOR)
    return registered.app.id


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The shared real server (detection on, the test platform)."""
    with start_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_of(live_server) as client:
        yield client


@pytest.fixture
def live_app(http: httpx.Client, live_server: LiveServer) -> LiveApp:
    """An approved app with a token, on the shared server, asking for every field of
    ``REGISTRATION`` and ``friends``."""
    return make_live_app(http, live_server, fields=[*REGISTRATION["fields"], "friends"])
