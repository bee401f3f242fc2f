"""Rendering for the CLI: JSON for machines (``--json``), rich tables for people, and the one
place library errors become a one-line message with exit code 1."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from consentgate.errors import ConsentGateError

__all__ = ["CommandGroup", "print_json", "print_record", "print_table"]

JsonOption = typer.Option("--json", help="Print JSON instead of a table.")
_console = Console()


class CommandGroup(TyperGroup):
    """Maps a ``ConsentGateError`` at the CLI edge to one stderr line and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # typer types it with its private vendored click
        try:
            return super().invoke(ctx)
        except ConsentGateError as exc:
            typer.echo(f"error: {exc.error_code}: {exc.message}", err=True)
            raise typer.Exit(1) from exc


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


def print_record(record: Mapping[str, Any], *, as_json: bool, title: str | None = None) -> None:
    if as_json:
        print_json(record)
        return
    table = Table(title=title, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in record.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        table.add_row(key, shown)
    _console.print(table)


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Iterable[str], *, as_json: bool, title: str
) -> None:
    if as_json:
        print_json(list(rows))
        return
    table = Table(title=title)
    names = list(columns)
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*[_cell(row.get(name)) for name in names])
    _console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
