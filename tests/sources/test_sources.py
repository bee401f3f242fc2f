"""Sources: the deterministic demo platform, and the SQL adapter on both databases."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Column, Date, Engine, MetaData, String, Table, Text, insert

from consentgate.catalog import Catalog
from consentgate.errors import AlreadyExists, InvalidInput, UnknownField
from consentgate.sources import Source, SqlMapping, SqlSource
from consentgate.sources.synthetic import PlatformSource, generate_platform, platform_stats
from consentgate.storage import make_engine, migrate
from tests.support import PLATFORM_SUBJECTS


def test_platform_source_is_a_source(source: PlatformSource) -> None:
    assert isinstance(source, Source)


def test_the_demo_platform_is_deterministic_per_seed(tmp_path, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    snapshots = []
    for name in ("a", "b", "c"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(engine)
        seed = 9 if name != "c" else 10
        generate_platform(engine, subjects=500, seed=seed, catalog=catalog)
        platform = PlatformSource(engine, catalog=catalog)
        ids = [str(i) for i in range(1, 501)]
        snapshots.append(
            (platform.fetch(ids, list(catalog.fields)), [platform.friends(i) for i in ids[:50]])
        )
        engine.dispose()
    assert snapshots[0] == snapshots[1]
    assert snapshots[0] != snapshots[2]


def test_platform_shape(engine: Engine, catalog: Catalog, source: PlatformSource) -> None:
    stats = platform_stats(engine, catalog=catalog)
    assert stats.subjects == PLATFORM_SUBJECTS
    assert 80 <= stats.mean_degree <= 250  # low hundreds (bounded by the small population)
    assert stats.max_degree > 2 * stats.mean_degree  # heavy-tailed
    eu = {"DE", "FR", "IT", "ES", "PL", "NL", "RO", "BE", "SE", "AT", "IE", "PT", "CZ", "GR"}
    assert sum(n for c, n in stats.countries.items() if c in eu) > stats.subjects / 2
    assert 0.01 * stats.subjects <= stats.minors <= 0.12 * stats.subjects
    # friendship is symmetric
    for friend in source.friends("1")[:20]:
        assert "1" in source.friends(friend)


def test_generate_refuses_to_overwrite_without_replace(engine: Engine, catalog: Catalog) -> None:
    with pytest.raises(AlreadyExists, match="--replace"):
        generate_platform(engine, subjects=10, seed=1, catalog=catalog)


def test_fetch_returns_only_what_was_asked(source: PlatformSource) -> None:
    records = source.fetch(["1", "2", "no-such-id"], ["name", "page_likes"])
    assert set(records) == {"1", "2"}
    assert set(records["1"]) == {"name", "page_likes"}
    assert isinstance(records["1"]["page_likes"], list)
    assert source.attributes(["no-such-id"]) == {}
    assert source.friends("no-such-id") == []


def test_sql_source_maps_an_existing_table(engine: Engine, catalog: Catalog) -> None:
    suffix = uuid.uuid4().hex[:8]
    meta = MetaData()
    people = Table(
        f"crm_people_{suffix}",
        meta,
        Column("person_id", String(20), primary_key=True),
        Column("full_name", String(100)),
        Column("mail", String(100)),
        Column("born", Date),
        Column("nation", String(2)),
        Column("likes_json", Text),
    )
    links = Table(
        f"crm_links_{suffix}",
        meta,
        Column("a", String(20)),
        Column("b", String(20)),
    )
    meta.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(people),
            [
                {
                    "person_id": "p1",
                    "full_name": "Ada",
                    "mail": "ada@example.org",
                    "born": date(1990, 2, 3),
                    "nation": "ie",
                    "likes_json": '["chess"]',
                },
                {
                    "person_id": "p2",
                    "full_name": "Bo",
                    "mail": "bo@example.org",
                    "born": None,
                    "nation": None,
                    "likes_json": "[]",
                },
            ],
        )
        connection.execute(insert(links), [{"a": "p1", "b": "p2"}])
    mapping = SqlMapping(
        table=people.name,
        id_column="person_id",
        columns={
            "name": "full_name",
            "email": "mail",
            "birthday": "born",
            "page_likes": "likes_json",
        },
        country_column="nation",
        birth_date_column="born",
        json_columns=frozenset({"likes_json"}),
        friends_table=links.name,
        friends_subject_column="a",
        friends_friend_column="b",
        guardians_statement=f"SELECT b FROM {links.name} WHERE a = :subject_id",
    )
    crm = SqlSource(engine, mapping, catalog=catalog)
    assert crm.guardians("p1") == ["p2"]
    assert crm.guardians("p2") == []
    assert (
        SqlSource(engine, replace(mapping, guardians_statement=None), catalog=catalog).guardians(
            "p1"
        )
        == []
    )
    records = crm.fetch(["p1", "p2"], ["name", "birthday", "page_likes", "friends"])
    assert records["p1"] == {
        "name": "Ada",
        "birthday": "1990-02-03",
        "page_likes": ["chess"],
        "friends": ["p2"],
    }
    attributes = crm.attributes(["p1", "p2"])
    assert attributes["p1"].country == "IE"
    assert attributes["p1"].birth_date == date(1990, 2, 3)
    assert attributes["p2"].country is None
    assert attributes["p2"].birth_date is None
    meta.drop_all(engine)


def test_sql_source_checks_its_mapping_at_start(engine: Engine, catalog: Catalog) -> None:
    base = SqlMapping(
        table="platform_subjects",
        id_column="id",
        columns={"name": "name"},
        country_column="country",
        birth_date_column="birthday",
    )
    with pytest.raises(InvalidInput, match="does not exist"):
        SqlSource(engine, SqlMapping(**{**base.__dict__, "table": "nope"}), catalog=catalog)
    with pytest.raises(InvalidInput, match="no column 'nme'"):
        SqlSource(
            engine, SqlMapping(**{**base.__dict__, "columns": {"name": "nme"}}), catalog=catalog
        )
    with pytest.raises(UnknownField):
        SqlSource(
            engine, SqlMapping(**{**base.__dict__, "columns": {"shoe": "name"}}), catalog=catalog
        )
    with pytest.raises(InvalidInput, match=":subject_id"):
        replace(base, guardians_statement="SELECT parent FROM families")


def test_the_demo_platform_names_guardians_for_minors_only(source: PlatformSource) -> None:
    """A minor's guardians are adult friends at least 16 years older; an adult has none."""
    people = source.attributes([str(i) for i in range(1, PLATFORM_SUBJECTS + 1)])
    named = 0
    for person in people.values():
        guardians = source.guardians(person.id)
        assert len(guardians) <= 2
        for guardian in guardians:
            assert guardian in source.friends(person.id)
            older = people[guardian].birth_date
            assert older is not None
            assert person.birth_date is not None
            assert person.birth_date.year - older.year >= 16
        named += bool(guardians)
    assert named, "some minors of the test platform have guardians"
