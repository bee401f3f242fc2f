"""The docs keep up with the code, one test case per item (so a failure names it): every
command has help text and a line in docs/cli.md, every HTTP route is in docs/api.md (or
docs/detection.md), every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer

from consentgate.api import create_app
from consentgate.api.routes import ROUTERS
from consentgate.cli import app as cli
from consentgate.runtime import open_runtime
from consentgate.settings import Settings
from consentgate.web import console, console_more, home, privacy, privacy_data
from tests.support import ROOT

DOCS = ROOT / "docs"
CLI_DOCS = (DOCS / "cli.md").read_text()
API_DOCS = (DOCS / "api.md").read_text() + (DOCS / "detection.md").read_text()
SETTINGS_DOCS = CLI_DOCS + (DOCS / "detection.md").read_text()


def _commands(group: click.Group, prefix: str = "consentgate") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group) or hasattr(command, "commands"):
            found += _commands(command, path)  # type: ignore[arg-type]
        else:
            found.append((path, command))
    return found


COMMANDS = dict(_commands(typer.main.get_command(cli)))  # type: ignore[arg-type]
ROUTES = sorted({route.path for router in ROUTERS for route in router.routes})  # type: ignore[attr-defined]


def _shape(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "{}", path)


def test_the_lists_are_complete(tmp_path: Path) -> None:
    """Every command and every route the app serves is among the cases below."""
    assert len(COMMANDS) > 20
    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'docs.db'}", demo=True))
    try:
        served = set(create_app(runtime).openapi()["paths"])
    finally:
        runtime.close()
    assert served == set(ROUTES)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_the_command_has_help_and_a_docs_entry(path: str) -> None:
    assert COMMANDS[path].help, f"{path} has no help text"
    leaf = path.split()[-1]
    parent = " ".join(path.split()[:-1])
    assert f"`{path}" in CLI_DOCS or (f"`{parent}" in CLI_DOCS and leaf in CLI_DOCS), path


@pytest.mark.parametrize("path", ROUTES)
def test_the_route_is_documented(path: str) -> None:
    assert re.search(re.escape(_shape(path)) + r"[`?\s,]", _shape(API_DOCS)), path


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_the_setting_is_documented(name: str) -> None:
    assert name.upper() in SETTINGS_DOCS, f"CONSENTGATE_{name.upper()} is not documented"


WEB_DOCS = (DOCS / "web.md").read_text()
WEB_ROUTES = sorted(
    {
        route.path
        for router in (
            home.router,
            privacy.router,
            privacy_data.router,
            console.router,
            console_more.router,
        )
        for route in router.routes  # type: ignore[attr-defined]
    }
)


@pytest.mark.parametrize("path", WEB_ROUTES)
def test_the_web_page_is_in_docs_web_md(path: str) -> None:
    assert f"{path}`" in WEB_DOCS, f"docs/web.md does not describe {path}"
