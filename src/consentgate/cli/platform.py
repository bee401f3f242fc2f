"""`consentgate platform ...` — the synthetic demo platform."""

from __future__ import annotations

from typing import Annotated

import typer

from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_record
from consentgate.sources.synthetic import generate_platform, platform_stats

app = typer.Typer(cls=CommandGroup, help="Generate and inspect the synthetic demo platform.")


@app.command()
def generate(
    subjects: Annotated[int, typer.Option(help="How many subjects.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same platform.")] = 1,
    replace: Annotated[bool, typer.Option(help="Rebuild an existing platform.")] = False,
    if_missing: Annotated[
        bool, typer.Option(help="Do nothing when the platform already exists.")
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Generate the demo platform into the database (deterministic per seed)."""
    runtime = command_runtime()
    if if_missing and platform_stats(runtime.engine, catalog=runtime.catalog).subjects:
        typer.echo("the demo platform already exists; leaving it as it is", err=True)
        return
    stats = generate_platform(
        runtime.engine, subjects=subjects, seed=seed, catalog=runtime.catalog, replace=replace
    )
    print_record(stats.as_dict(), as_json=as_json, title="demo platform generated")


@app.command()
def stats(as_json: Annotated[bool, JsonOption] = False) -> None:
    """What the demo platform holds: subjects, degree, minors, countries."""
    runtime = command_runtime()
    print_record(platform_stats(runtime.engine, catalog=runtime.catalog).as_dict(), as_json=as_json)
