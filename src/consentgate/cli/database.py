"""Which database a command works on. Only ``init`` and ``serve`` create one: any other
command run from a folder without one is refused with a line naming the absolute path it
looked at (``DATABASE_MISSING``) instead of silently starting an empty ``consentgate.db``
there (issue 11). A person at a terminal is also told which database every command uses
(``database: sqlite:////abs/path.db`` on stderr); scripts, whose stderr is no terminal,
keep the contract's one line per error."""

from __future__ import annotations

import sys

import typer

from consentgate.errors import DatabaseMissing
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings, load_settings
from consentgate.storage.database import Database
from consentgate.storage.engine import display_url, make_engine, sqlite_path

__all__ = ["command_runtime", "database_line", "existing_database"]


def database_line(url: str) -> str:
    """``database: <url>`` with a SQLite file's path made absolute (password hidden)."""
    return f"database: {display_url(url)}"


def command_runtime(settings: Settings | None = None, *, create: bool = False) -> Runtime:
    """The runtime of a command, on the configured database, which must exist unless
    ``create`` (``init``, ``serve``); the database is named on stderr first."""
    if settings is None:
        settings = load_settings()
    _tell(settings.database_url)
    return open_runtime(settings, create=create)


def _tell(url: str) -> None:
    if sys.stderr.isatty():
        typer.echo(database_line(url), err=True)


def existing_database(url: str) -> Database:
    """The database at ``url`` as it is — never created, never migrated (``ledger verify
    --database`` reads what is there)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseMissing(f"no database at {path}")
    _tell(url)
    return Database(make_engine(url))
