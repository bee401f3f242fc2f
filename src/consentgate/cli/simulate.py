"""``consentgate simulate``: harvesting and benign apps against a real server with detection
on, and a campaign inside an election window, each in its own temporary world (database,
platform, server)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from consentgate.cli.output import CommandGroup, JsonOption, print_json, print_record, print_table
from consentgate.errors import InvalidInput
from consentgate.logs import configure_logging
from consentgate.sim.benign import run_benign
from consentgate.sim.election import run_election
from consentgate.sim.harvest import STRATEGIES, run_harvest

__all__ = ["app"]

app = typer.Typer(
    cls=CommandGroup,
    help="Simulate harvesting, benign and campaign apps.",
    no_args_is_help=True,
)

STRATEGY_HELP = f"A harvest strategy ({', '.join(STRATEGIES)}) or 'all'; may be repeated."


@app.command("harvest")
def harvest(
    strategy: Annotated[list[str], typer.Option(help=STRATEGY_HELP)] = ["all"],  # noqa: B006
    subjects: Annotated[int, typer.Option(help="Platform size.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the platform and the apps.")] = 1,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Run harvesting strategies until the gateway contains them; report each."""
    configure_logging(level=logging.ERROR)
    chosen = list(STRATEGIES) if "all" in strategy else strategy
    unknown = [s for s in chosen if s not in STRATEGIES]
    if unknown:
        raise InvalidInput(f"unknown strategy {unknown[0]!r}: {STRATEGY_HELP}")
    results = [r.as_dict() for r in run_harvest(chosen, subjects=subjects, seed=seed)]
    if as_json:
        print_json({"strategies": results})
    else:
        columns = [c for c in results[0] if c != "incident_id"] if results else []
        print_table(results, columns, as_json=False, title="Harvest strategies against consentgate")


@app.command("benign")
def benign(
    apps: Annotated[int, typer.Option(help="How many benign apps.")] = 200,
    subjects: Annotated[int, typer.Option(help="Platform size.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the platform and the apps.")] = 1,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Run realistic benign apps for a busy hour; report false suspensions."""
    configure_logging(level=logging.ERROR)
    if apps < 1:
        raise InvalidInput("need --apps >= 1")
    result = run_benign(apps=apps, subjects=subjects, seed=seed).as_dict()
    if as_json:
        print_json(result)
    else:
        print_record(result, as_json=False, title="Benign apps")


EXIT_FORBIDDEN_RELEASED = 3


@app.command("election")
def election(
    subjects: Annotated[int, typer.Option(help="Platform size.")] = 5_000,
    people: Annotated[
        int, typer.Option(help="People per group (voters, under-age, outside).")
    ] = 400,
    seed: Annotated[int, typer.Option(help="Seed of the platform and the sample.")] = 1,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Campaign apps (an EU and a third-country developer) inside the 2019 EP election window
    try every forbidden path across many people; report what was released, the register and
    its recount. Exit 3 if a forbidden value was released or the recount disagrees."""
    configure_logging(level=logging.ERROR)
    if subjects < 100 or people < 1:
        raise InvalidInput("need --subjects >= 100 and --people >= 1")
    result = run_election(subjects=subjects, people=people, seed=seed)
    record = result.as_dict()
    if as_json:
        print_json(record)
    else:
        print_record(record, as_json=False, title="Election-period safeguards (2019 EP window)")
    if result.forbidden_total or not record["register_equals_recount"]:
        raise typer.Exit(EXIT_FORBIDDEN_RELEASED)
