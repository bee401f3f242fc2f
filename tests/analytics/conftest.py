"""One local SparkSession for the whole test session (starting one costs seconds)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _java_problem() -> str | None:
    java = shutil.which("java")
    if java is None:
        return "no java on PATH (Spark needs Java 17 or 21)"
    done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else f"java -version failed: {done.stderr.strip()}"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    problem = _java_problem()
    if problem is not None:
        if UNDER_CI:
            pytest.fail(f"{problem} (CI=true: the Spark tests must run)")
        pytest.skip(problem)
    from consentgate.analytics import local_session

    session = local_session(cores=2, app_name="consentgate-tests")
    yield session
    session.stop()
