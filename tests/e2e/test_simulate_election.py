"""``consentgate simulate election`` end to end (a real server on the demo clock, in its own
process): across many people every forbidden path is tried and not one forbidden value is
released, while lawful political reads go through; the register's counts equal a recount
from the ledger."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from consentgate.cli import app as cli


@pytest.mark.slow
def test_a_campaign_inside_the_window_gets_nothing_forbidden() -> None:
    result = CliRunner().invoke(
        cli, ["simulate", "election", "--subjects", "2000", "--people", "80", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["date"] == "2019-04-15"
    assert report["people"] == {"voters": 80, "under_voting_age": 80, "outside_windows": 80}
    assert report["reads"] == 2 * 240
    assert report["forbidden_values_released"] == {
        "special_category": 0,
        "under_voting_age": 0,
        "third_country_developer": 0,
    }
    assert report["forbidden_values_released_total"] == 0
    # the forbidden paths were really tried: refused whole, or field by field
    assert report["refusals"]["ELECTION_SAFEGUARD"] == 80 + 80 + 80  # under-age x2, offshore
    assert report["withheld"]["ELECTION_SAFEGUARD"] == 80 * 2  # voters' two special fields
    assert report["values_released"] == 80 * 4 + 2 * 80 * 6  # voters' 4, outside's 6 (x2 apps)
    assert report["in_window_grants_refused"] == report["in_window_grants_tried"] > 0
    # and the register counts what the ledger says
    assert report["register_equals_recount"] is True
    assert report["recount"]["problems"] == []
    people = {a["name"]: a["people"] for a in report["register"]["apps"]}
    assert people == {"Vote Together": 160, "Offshore Outreach": 80}


def test_bad_sizes_are_one_line_errors() -> None:
    result = CliRunner().invoke(cli, ["simulate", "election", "--people", "0"])
    assert result.exit_code == 1
    assert "error: BAD_REQUEST" in result.output
