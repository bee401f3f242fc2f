"""End to end on a real ``consentgate serve``: the Cambridge Analytica friend crawl is
contained, and the breach containment opened says exactly what the harvester received —
the people, the records, the people per field, each person's own fields in their notice —
and its report is ready within the same second."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from consentgate.sim.harvest import Harvest, HarvestResult, run_strategy
from consentgate.sim.world import World, checked, open_world


@pytest.fixture(scope="module")
def crawl() -> Iterator[tuple[World, HarvestResult, Harvest]]:
    with open_world(subjects=2000, seed=3, detect=True) as world:
        result, harvest = run_strategy(world, "friend-crawl", seed=3)
        yield world, result, harvest


def _pages(world: World, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = checked(world.http.get(path, headers=world.operator, params=params))
        found += page["data"]
        cursor = page["paging"]["next"]
        if cursor is None:
            return found


_WENT = re.compile(r"The app received your (.+?) (?:on|between) ")


def _fields_of(notice: str) -> set[str]:
    match = _WENT.search(notice)
    assert match is not None, notice
    *head, last = match.group(1).split(" and ")
    names = [n for part in head for n in part.split(", ")] + [last]
    return {name.replace(" ", "_") for name in names}


@pytest.mark.slow
def test_a_contained_harvest_opens_a_breach_that_matches_what_the_app_received(
    crawl: tuple[World, HarvestResult, Harvest],
) -> None:
    world, result, harvest = crawl
    assert result.contained
    listed = checked(
        world.http.get("/v1/breaches", headers=world.operator, params={"app_id": harvest.app.id})
    )["data"]
    [breach] = listed
    assert breach["incident_id"] == result.incident_id
    assert breach["status"] == "assessing"
    assert breach["opened_by"] == "system:harvest-detection"
    scope = breach["scope"]
    assert scope["subjects"] == len(harvest.received) == result.subjects_received_by_app
    assert scope["records"] == harvest.records_received
    per_field: dict[str, int] = {}
    for fields in harvest.fields_received.values():
        for name in fields:
            per_field[name] = per_field.get(name, 0) + 1
    assert scope["by_field"] == dict(sorted(per_field.items()))
    assert sum(scope["by_country"].values()) == scope["subjects"]
    assert scope["unlinked_subjects"] == 0
    # the installers consented to profile fields only: no special category left (I1)
    assert scope["special_category_subjects"] == 0
    assert breach["severity"]["dpc"] == 2  # page likes and friends: behavioural data
    assert breach["severity"]["inputs"]["cb"]["malicious_intent"] == 0.5

    sealer = world.runtime.sealer
    expected = {
        sealer.subject_for(harvest.app.id, scoped): fields
        for scoped, fields in harvest.fields_received.items()
    }
    people = _pages(world, f"/v1/breaches/{breach['id']}/subjects")
    assert {p["subject_id"]: set(p["fields"]) for p in people} == expected
    for person in people:
        assert _fields_of(person["notice"]) == set(person["fields"])

    report = checked(world.http.get(f"/v1/breaches/{breach['id']}/report", headers=world.operator))
    assert report["nature"]["subjects"] == len(harvest.received)
    assert report["nature"]["records"] == harvest.records_received
    assert report["nature"]["special_category_subjects"] == scope["special_category_subjects"]
    assert report["timeline"][-1]["event"] == "opened"
