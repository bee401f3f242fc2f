"""The package's public names: each one listed in ``__all__`` exists, the list is sorted,
``import consentgate`` loads neither the HTTP stack nor the database layer (those load on
first use), and an integrator can decide, and build and serve the runtime, from the
top-level package alone."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import consentgate


def test_every_public_name_exists_and_the_list_is_sorted() -> None:
    names = [n for n in consentgate.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in consentgate.__all__:
        assert hasattr(consentgate, name), name
    assert set(consentgate.__all__) <= set(dir(consentgate))
    assert consentgate.__version__.count(".") >= 1 or consentgate.__version__ == "0+unknown"


def test_what_an_integrator_needs_is_public() -> None:
    needed = {
        "Runtime",
        "open_runtime",
        "create_app",
        "Settings",
        "load_settings",
        "Source",
        "SqlSource",
        "SqlMapping",
        "SubjectState",
        "ConsentGateError",
        "decide",
        "Actor",
    }
    assert needed <= set(consentgate.__all__)


def test_importing_the_package_stays_light() -> None:
    probe = (
        "import sys, consentgate; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'consentgate.runtime') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_a_decision_from_the_top_level_package() -> None:
    catalog = consentgate.default_catalog()
    app = consentgate.AppView(
        id="app_quiz",
        status=consentgate.AppStatus.APPROVED,
        purposes=frozenset({"academic_research"}),
        approved_mask=catalog.mask(["name"]),
    )
    decision = consentgate.decide(
        app=app,
        subject=None,
        consents=[],
        purpose="academic_research",
        fields=["name"],
        catalog=catalog,
        now=datetime(2026, 11, 27, tzinfo=UTC),
        state=consentgate.SubjectState.NONE,
    )
    assert decision.allowed == ()
    assert decision.withheld == {"name": consentgate.Reason.NO_CONSENT}


def test_a_runtime_and_its_app_from_the_top_level_package(tmp_path: Path) -> None:
    settings = consentgate.Settings(database_url=f"sqlite:///{tmp_path / 'cg.db'}", demo=True)
    runtime = consentgate.open_runtime(settings)
    try:
        assert isinstance(runtime, consentgate.Runtime)
        assert isinstance(runtime.source, consentgate.Source)
        paths = consentgate.create_app(runtime).openapi()["paths"]
        assert "/v1/subjects/{subject_id}" in paths
    finally:
        runtime.close()
