"""The docs keep up with the code: every command has help text and a line in docs/cli.md,
every HTTP route is in docs/api.md (or docs/detection.md), every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import typer

from consentgate.api import create_app
from consentgate.cli import app as cli
from consentgate.runtime import open_runtime
from consentgate.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: click.Group, prefix: str = "consentgate") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group) or hasattr(command, "commands"):
            found += _commands(command, path)  # type: ignore[arg-type]
        else:
            found.append((path, command))
    return found


def test_every_command_has_help_and_a_docs_entry() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(typer.main.get_command(cli))  # type: ignore[arg-type]
    assert len(commands) > 20
    for path, command in commands:
        assert command.help, f"{path} has no help text"
        leaf = path.split()[-1]
        parent = " ".join(path.split()[:-1])
        assert f"`{path}" in text or (f"`{parent}" in text and f"{leaf}" in text), path


def test_every_route_is_documented(tmp_path: Path) -> None:
    text = (DOCS / "api.md").read_text() + (DOCS / "detection.md").read_text()
    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}", demo=True))
    try:
        paths = create_app(runtime).openapi()["paths"]
    finally:
        runtime.close()
    documented = re.sub(r"\{[a-z_]+\}", "{}", text)
    for path in paths:
        if path in ("/docs", "/openapi.json"):
            continue
        shape = re.sub(r"\{[a-z_]+\}", "{}", path)
        assert re.search(re.escape(shape) + r"[`?\s,]", documented), path


def test_every_setting_is_documented() -> None:
    text = (DOCS / "cli.md").read_text() + (DOCS / "detection.md").read_text()
    for name in Settings.model_fields:
        env = name.upper()
        assert env in text, f"CONSENTGATE_{env} is not documented"
