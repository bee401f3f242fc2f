"""`consentgate requests ...`: create on a person's behalf, list (with filters), show,
extend, lift, reject — JSON on request, one error line and exit 1 for a refused step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consentgate.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("CONSENTGATE_CATALOG", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["platform", "generate", "--subjects", "60", "--seed", "2"])
    assert result.exit_code == 0, result.stderr


def run(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_queue_from_the_command_line(cli_env: None) -> None:
    created = run(
        "requests", "create", "--subject", "5", "--type", "restriction",
        "--ground", "legal_claims", "--verified-by", "passport at the desk",
    )  # fmt: skip
    assert isinstance(created, dict)
    request_id = created["id"]
    assert created["status"] == "in_progress"
    assert created["subject_id"] == "5"
    assert created["history"][0]["actor"] == "system:cli"
    listed = run("requests", "list", "--type", "restriction", "--status", "in_progress")
    assert [r["id"] for r in listed] == [request_id]  # type: ignore[union-attr]
    assert run("requests", "list", "--overdue") == []
    extended = run("requests", "extend", request_id, "--by", "1", "--reason", "complex")
    assert extended["extended_due_at"] is not None  # type: ignore[index]
    assert run("requests", "show", request_id)["extension_reason"] == "complex"  # type: ignore[index]
    assert run("requests", "lift", request_id)["status"] == "completed"  # type: ignore[index]

    refused = runner.invoke(app, ["requests", "reject", request_id, "--reason", "late"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: INVALID_TRANSITION:")
    objection = run(
        "requests", "create", "--subject", "6", "--type", "objection",
        "--purpose", "analytics", "--verified-by", "call back",
    )  # fmt: skip
    rejected = run("requests", "reject", objection["id"], "--reason", "unfounded")  # type: ignore[index]
    assert rejected["status"] == "rejected"  # type: ignore[index]
    bad = runner.invoke(
        app, ["requests", "create", "--subject", "6", "--type", "objection", "--verified-by", "x"]
    )
    assert bad.exit_code == 1
    assert "purposes" in bad.stderr
    unknown = runner.invoke(app, ["requests", "show", "dsr_missing"])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: NOT_FOUND:")
