"""The composition root: built from settings, the source included (a SQL mapping file over a
real table); building and create_app start no thread, the app's lifespan starts the
runtime's threads and stops them, and none outlives a server a test started and stopped."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consentgate.api import create_app
from consentgate.cli import app as cli
from consentgate.errors import InvalidInput
from consentgate.runtime import open_runtime
from consentgate.settings import Settings
from consentgate.sources import SqlSource
from tests.support import client_of, make_live_app, start_server

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _ours() -> set[threading.Thread]:
    """consentgate's threads alive now (other tests' servers may be running too)."""
    return {t for t in threading.enumerate() if t.name.startswith("consentgate")}


def test_building_the_runtime_and_the_app_starts_no_thread(tmp_path: Path) -> None:
    before = _ours()
    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", demo=True))
    try:
        create_app(runtime)
        assert _ours() == before
    finally:
        runtime.close()


def test_no_consentgate_thread_outlives_a_server_a_test_started_and_stopped(
    tmp_path: Path,
) -> None:
    before = _ours()
    settings = {"webhook_url": "http://127.0.0.1:9/hooks", "webhook_secret": WEBHOOK_SECRET}
    with start_server(tmp_path, **settings) as server, client_of(server) as http:
        assert http.get("/healthz").status_code == 200
        running = {t.name for t in _ours() - before}
        assert {
            "consentgate-disclosure-writer",
            "consentgate-ledger-integrator",
            "consentgate-webhook",
            "consentgate-server",
        } <= running
    assert _ours() == before


# --- CONSENTGATE_SOURCE: a real platform's table through a mapping file --------------------

MAPPING = """\
format = 1
table = "crm_people"
id_column = "person_id"
country_column = "country_code"
birth_date_column = "born_on"
json_columns = ["likes"]
database_url = "{url}"

[columns]
name = "full_name"
birthday = "born_on"
page_likes = "likes"

[friends]
table = "crm_friendships"
subject_column = "person"
friend_column = "friend"
"""


def _platform(folder: Path) -> str:
    """A platform database of its own: three people and their friendships."""
    path = folder / "crm.db"
    with sqlite3.connect(path) as crm:
        crm.executescript(
            """
            CREATE TABLE crm_people (person_id TEXT PRIMARY KEY, full_name TEXT,
                country_code TEXT, born_on TEXT, likes TEXT, salary INTEGER);
            INSERT INTO crm_people VALUES
                ('p-1', 'Ada Lovelace', 'gb', '1980-12-10', '["Maths Club"]', 1),
                ('p-2', 'Alan Turing', 'GB', '1972-06-23', '[]', 2),
                ('p-3', 'Young One', 'DE', '2016-01-01', '[]', 3);
            CREATE TABLE crm_friendships (person TEXT, friend TEXT);
            INSERT INTO crm_friendships VALUES ('p-1', 'p-2'), ('p-2', 'p-1');
            """
        )
    return f"sqlite:///{path}"


def test_a_sql_mapping_file_serves_a_real_table(tmp_path: Path) -> None:
    mapping = tmp_path / "source.toml"
    mapping.write_text(MAPPING.format(url=_platform(tmp_path)))
    with start_server(tmp_path, source=str(mapping)) as server, client_of(server) as http:
        assert isinstance(server.runtime.source, SqlSource)
        app = make_live_app(http, server, fields=["name", "birthday", "page_likes", "friends"])
        granted = http.post(
            "/v1/me/consents",
            headers=server.subject_headers("p-1"),
            json={
                "app_id": app.id,
                "purpose": "academic_research",
                "fields": ["name", "page_likes"],
            },
        )
        assert granted.status_code == 201, granted.text
        scoped = server.runtime.sealer.scoped_id(app.id, "p-1")
        read = http.get(
            f"/v1/subjects/{scoped}",
            headers=app.headers,
            params={"fields": "name,page_likes,birthday", "purpose": "academic_research"},
        )
        assert read.status_code == 200, read.text
        assert read.json()["data"] == {"name": "Ada Lovelace", "page_likes": ["Maths Club"]}
        assert read.json()["withheld"] == {"birthday": "FIELD_NOT_CONSENTED"}
        # someone the platform does not have is unknown to the privacy centre too
        missing = http.get("/v1/me/consents", headers=server.subject_headers("p-9"))
        assert missing.status_code == 404
        assert server.runtime.source.friends("p-1") == ["p-2"]
        assert server.disclosure_count() >= 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MAPPING.replace(
                '[columns]\nname = "full_name"\nbirthday = "born_on"\npage_likes = "likes"\n', ""
            ),
            "error: SOURCE_INVALID: source mapping {path}: entry columns: is required",
        ),
        (
            MAPPING.replace("format = 1", "format = 2"),
            "error: SOURCE_INVALID: source mapping {path}: entry format:",
        ),
        (
            "surprise = 1\n" + MAPPING,
            "error: SOURCE_INVALID: source mapping {path}: entry surprise",
        ),
        (
            MAPPING.replace('name = "full_name"', 'name = "nme"'),
            "error: BAD_REQUEST: source table 'crm_people' has no column 'nme'",
        ),
        (
            MAPPING.replace("name = ", "shoe_size = "),
            "error: UNKNOWN_FIELD: unknown field 'shoe_size'",
        ),
        (
            "format = ",
            "error: SOURCE_INVALID: source mapping {path}: entry (syntax): not valid TOML",
        ),
    ],
)
def test_a_broken_mapping_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    mapping = tmp_path / "source.toml"
    mapping.write_text(text.replace("{url}", _platform(tmp_path)))
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'cg.db'}")
    monkeypatch.setenv("CONSENTGATE_SOURCE", str(mapping))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert result.stderr.startswith(message.format(path=mapping)), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_source_that_is_not_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'cg.db'}")
    monkeypatch.setenv("CONSENTGATE_SOURCE", str(tmp_path / "nowhere.toml"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: BAD_REQUEST: setting CONSENTGATE_SOURCE: ")


def test_a_server_without_a_subject_token_secret_refuses_to_start(tmp_path: Path) -> None:
    runtime = open_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"))
    try:
        with pytest.raises(InvalidInput, match="CONSENTGATE_SUBJECT_TOKEN_SECRET"):
            create_app(runtime)
    finally:
        runtime.close()
