"""The command line: the documented commands work end to end; library errors become one
stderr line with exit code 1, usage errors exit 2, never a traceback."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from consentgate.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"CONSENTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CONSENTGATE_CATALOG", raising=False)
    assert invoke("init")[0] == 0  # only init and serve create a database
    return env


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def as_json(*args: str) -> object:
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_full_flow_through_the_cli(cli_env: dict[str, str]) -> None:
    init = as_json("init")
    assert init["schema_revision"] == "0011"  # type: ignore[index]
    stats = as_json("platform", "generate", "--subjects", "300", "--seed", "4")
    assert stats["subjects"] == 300  # type: ignore[index]
    code, _, err = invoke("platform", "generate", "--subjects", "300", "--if-missing")
    assert code == 0
    assert "already exists" in err
    registered = as_json(
        "apps",
        "register",
        "--name",
        "Quiz",
        "--developer-name",
        "GSR",
        "--developer-email",
        "dev@gsr.example",
        "--developer-country",
        "gb",
        "--purpose",
        "academic_research",
        "--field",
        "name=greeting",
        "--field",
        "birthday=age band",
        "--retention-days",
        "30",
        "--privacy-policy-url",
        "https://quiz.example/privacy",
    )
    app_id = registered["id"]  # type: ignore[index]
    assert registered["client_secret"].startswith("cgs_")  # type: ignore[index]
    shown = as_json("apps", "show", app_id)
    assert "client_secret" not in shown  # type: ignore[operator]
    approved = as_json("apps", "approve", app_id, "--field", "name")
    assert approved["fields_approved"] == ["name"]  # type: ignore[index]
    adult = _an_adult()
    consent = as_json(
        "consents",
        "grant",
        "--subject",
        adult,
        "--app",
        app_id,
        "--purpose",
        "academic_research",
        "--field",
        "name",
    )
    # recorded by an operator at the command line, not given by the person: the receipt says so
    claims = jwt.decode(consent["receipt"], options={"verify_signature": False})  # type: ignore[index]
    assert claims["consentgate"]["recorded_by"] == "system:cli"
    assert claims["collectionMethod"].startswith("recorded by an operator (system:cli)")
    rotated = as_json("apps", "rotate-secret", app_id)
    assert rotated["client_secret"].startswith("cgs_")  # type: ignore[index]
    assert rotated["client_secret"] != registered["client_secret"]  # type: ignore[index]
    decision = as_json(
        "decide",
        "--app",
        app_id,
        "--subject",
        adult,
        "--purpose",
        "academic_research",
        "--fields",
        "name,birthday",
    )
    assert decision == {
        "allowed": ["name"],
        "withheld": {"birthday": "FIELD_NOT_APPROVED"},
        "reason": None,
    }
    listed = as_json("consents", "list", "--subject", adult)
    assert [c["id"] for c in listed] == [consent["id"]]  # type: ignore[index,union-attr]
    as_json("consents", "renew", consent["id"], "--subject", adult)  # type: ignore[index]
    as_json("consents", "withdraw", consent["id"], "--subject", adult)  # type: ignore[index]
    as_json("apps", "suspend", app_id, "--reason", "harvesting")
    assert as_json("apps", "list")[0]["status"] == "suspended"  # type: ignore[index]
    as_json("apps", "reinstate", app_id)
    code, out, _ = invoke("apps", "list")
    assert code == 0
    assert "Quiz" in out


def _an_adult() -> str:
    from consentgate.runtime import open_runtime

    runtime = open_runtime()
    for subject in runtime.source.attributes([str(i) for i in range(1, 301)]).values():
        assert subject.birth_date is not None
        if subject.birth_date.year < 1990:
            return subject.id
    raise AssertionError("no adult in the demo platform")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apps", "show", "app_nope"], "error: NOT_FOUND: no app with id 'app_nope'"),
        (["apps", "suspend", "app_nope", "--reason", "x"], "error: NOT_FOUND"),
        (
            ["decide", "--app", "a", "--subject", "1", "--purpose", "x", "--fields", "name"],
            "error: UNKNOWN_PURPOSE",
        ),
        (
            ["consents", "withdraw", "cns_nope", "--subject", "1"],
            "error: NOT_FOUND: no consent with id 'cns_nope'",
        ),
        (
            [
                "consents",
                "grant",
                "--subject",
                "1",
                "--app",
                "app_x",
                "--purpose",
                "analytics",
                "--field",
                "name",
            ],
            "error: NOT_FOUND: no app with id 'app_x'",
        ),
    ],
)
def test_library_errors_are_one_line_with_exit_code_1(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    code, out, err = invoke(*args)
    assert code == 1
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_usage_errors_exit_2(cli_env: dict[str, str]) -> None:
    assert invoke("apps", "approve")[0] == 2
    assert invoke("apps", "frobnicate")[0] == 2
    code, _, err = invoke(
        "apps", "register", "--name", "x", "--developer-name", "d", "--developer-email", "d@x.io",
        "--developer-country", "DE", "--purpose", "analytics", "--field", "no-equals-sign",
        "--retention-days", "3", "--privacy-policy-url", "https://x.io",
    )  # fmt: skip
    assert code == 2
    assert "NAME=JUSTIFICATION" in err


def test_invalid_grant_names_the_reason(cli_env: dict[str, str]) -> None:
    invoke("init")
    invoke("platform", "generate", "--subjects", "50", "--seed", "1")
    registered = as_json(
        "apps", "register", "--name", "x", "--developer-name", "d", "--developer-email",
        "d@x.io", "--developer-country", "DE", "--purpose", "analytics", "--field",
        "religion=why", "--retention-days", "3", "--privacy-policy-url", "https://x.io",
    )  # fmt: skip
    app_id = registered["id"]  # type: ignore[index]
    as_json("apps", "approve", app_id)
    code, _, err = invoke(
        "consents", "grant", "--subject", _an_adult_of(50), "--app", app_id,
        "--purpose", "analytics", "--field", "religion",
    )  # fmt: skip
    assert code == 1
    assert err.startswith("error: EXPLICIT_CONSENT_REQUIRED: field 'religion'")


def _an_adult_of(count: int) -> str:
    from consentgate.runtime import open_runtime

    runtime = open_runtime()
    for subject in runtime.source.attributes([str(i) for i in range(1, count + 1)]).values():
        assert subject.birth_date is not None
        if subject.birth_date.year < 1990:
            return subject.id
    raise AssertionError("no adult")


def test_a_broken_catalog_file_is_one_clear_line_from_a_real_process(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('format = 1\nversion = "x"\n[fields.email]\ncategory = 5\n')
    env = {
        "CONSENTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "CONSENTGATE_CATALOG": str(catalog),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "consentgate", "init"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: CATALOG_INVALID: catalog {catalog}: entry ")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_command_has_help_text() -> None:
    import typer.main

    def walk(command: object, path: str) -> list[str]:
        missing = []
        commands = getattr(command, "commands", {})
        for name, sub in commands.items():
            if not (getattr(sub, "help", None) or "").strip():
                missing.append(f"{path} {name}")
            missing.extend(walk(sub, f"{path} {name}"))
        return missing

    assert walk(typer.main.get_command(app), "consentgate") == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CONSENTGATE_DATABASE_URL", "not a url", "error: BAD_REQUEST: the database URL"),
        (
            "CONSENTGATE_CONSENT_TTL_DAYS",
            "soon",
            "error: BAD_REQUEST: setting CONSENTGATE_CONSENT_TTL_DAYS",
        ),
    ],
)
def test_bad_settings_are_one_line(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    code, _, err = invoke("init")
    assert code == 1
    assert err.startswith(message)


def test_incidents_through_the_cli(cli_env: dict[str, str]) -> None:
    """An incident opened by containment, as the DPO reads it from the command line."""
    from consentgate.breach import contain
    from consentgate.detect.rules import Finding
    from consentgate.runtime import open_runtime

    code, out, _ = invoke(
        "apps", "register", "--name", "Quiz", "--developer-name", "GSR",
        "--developer-email", "dev@gsr.example", "--developer-country", "GB",
        "--purpose", "academic_research", "--field", "name=greeting",
        "--retention-days", "30", "--privacy-policy-url", "https://quiz.example/p", "--json",
    )  # fmt: skip
    assert code == 0
    app_id = json.loads(out)["id"]
    assert invoke("apps", "approve", app_id)[0] == 0
    runtime = open_runtime()
    finding = Finding(app_id, "field_sweep", 86_400, {"explanation": "x", "asks": 10})
    incident = contain(runtime.stores, finding, context=runtime.breach_context)
    runtime.close()
    assert incident is not None
    [listed] = as_json("incidents", "list")  # type: ignore[misc]
    assert listed["id"] == incident.id
    assert listed["rule"] == "field_sweep"
    shown = as_json("incidents", "show", incident.id)
    assert shown["evidence"]["asks"] == 10  # type: ignore[index]
    assert as_json("apps", "show", app_id)["status"] == "suspended"  # type: ignore[index]
    code, out, _ = invoke("incidents", "subjects", incident.id)
    assert code == 0
    assert json.loads(out) == []
    code, _, err = invoke("incidents", "show", "inc_missing")
    assert code == 1
    assert "NOT_FOUND" in err
    assert invoke("apps", "reinstate", app_id)[0] == 0
    assert as_json("incidents", "show", incident.id)["status"] == "closed"  # type: ignore[index]


def _in_folder(folder: Path, *args: str, tty: bool = False) -> tuple[int, str]:
    """``python -m consentgate ARGS`` run in ``folder`` with no database configured; stderr
    is a terminal with ``tty``. Returns the exit code and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTGATE_")}
    command = [sys.executable, "-m", "consentgate", *args]
    if not tty:
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, check=False
        )
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=follower
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait()
    os.close(leader)
    return code, b"".join(chunks).decode()


def test_a_command_from_another_folder_creates_no_database_and_says_which_it_uses(
    tmp_path: Path,
) -> None:
    """Issue 11: run elsewhere, a command silently created and used an empty consentgate.db."""
    code, err = _in_folder(tmp_path, "apps", "list", "--json")
    assert code == 1
    expected = tmp_path.resolve() / "consentgate.db"
    assert err.startswith(f"error: DATABASE_MISSING: no database at {expected}: run ")
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing created, not even the file
    code, err = _in_folder(tmp_path, "init", "--json")
    assert code == 0, err
    assert expected.exists()
    code, err = _in_folder(tmp_path, "apps", "list", "--json", tty=True)
    assert code == 0, err
    assert f"database: sqlite:///{expected}" in err
