"""A SQL mapping file: how a real platform's table becomes a ``Source``
(``CONSENTGATE_SOURCE=/path/to/source.toml``; the format is in docs/cli.md).

``load_mapping`` validates the file and raises one ``SourceInvalid`` naming the first broken
entry; ``SqlSource`` then checks the mapping against the catalog and the live schema when
the runtime builds it, so a wrong column is one line at start-up, not an error on the first
read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from consentgate.errors import InvalidInput, SourceInvalid
from consentgate.sources.sql import SqlMapping, SqlWrites

__all__ = ["SourceConfig", "load_mapping"]

_NAME = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Friends(_Strict):
    table: _NAME
    subject_column: _NAME = "subject_id"
    friend_column: _NAME = "friend_id"


class _Write(_Strict):
    rectify: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    erase: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=4000)]], Field(max_length=20)
    ] = []


class _MappingFile(_Strict):
    format: Literal[1]
    table: _NAME
    id_column: _NAME
    country_column: _NAME
    birth_date_column: _NAME
    columns: Annotated[dict[str, _NAME], Field(min_length=1)]
    json_columns: list[_NAME] = []
    schema_: Annotated[_NAME | None, Field(alias="schema")] = None
    database_url: Annotated[str | None, Field(min_length=1)] = None
    friends: _Friends | None = None
    guardians: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    write: _Write | None = None


@dataclass(frozen=True)
class SourceConfig:
    """A validated mapping file: the mapping, and the platform's database when it is not
    consentgate's own (None)."""

    mapping: SqlMapping
    database_url: str | None
    statements: SqlWrites = field(default_factory=SqlWrites)


def load_mapping(path: str | Path) -> SourceConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceInvalid(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SourceInvalid(str(path), "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceInvalid(str(path), "(syntax)", f"not valid TOML: {exc}") from None
    try:
        parsed = _MappingFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        entry = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problem = {
            "extra_forbidden": "is not a known entry (check the spelling)",
            "missing": "is required but missing",
        }.get(error["type"], str(error["msg"]))
        raise SourceInvalid(str(path), entry, problem) from None
    friends = parsed.friends
    try:
        mapping = SqlMapping(
            table=parsed.table,
            id_column=parsed.id_column,
            columns=dict(parsed.columns),
            country_column=parsed.country_column,
            birth_date_column=parsed.birth_date_column,
            json_columns=frozenset(parsed.json_columns),
            friends_table=None if friends is None else friends.table,
            friends_subject_column="subject_id" if friends is None else friends.subject_column,
            friends_friend_column="friend_id" if friends is None else friends.friend_column,
            schema=parsed.schema_,
            guardians_statement=parsed.guardians,
        )
    except InvalidInput as exc:
        raise SourceInvalid(str(path), "guardians", exc.message) from None
    write = parsed.write
    try:
        statements = (
            SqlWrites()
            if write is None
            else SqlWrites(rectify=write.rectify, erase=tuple(write.erase))
        )
    except InvalidInput as exc:
        raise SourceInvalid(str(path), "write", exc.message) from None
    return SourceConfig(mapping=mapping, database_url=parsed.database_url, statements=statements)
