"""`consentgate transparency ...` — recount the political transparency register."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from consentgate.cli.output import CommandGroup, JsonOption, print_json
from consentgate.transparency import recount_register

app = typer.Typer(cls=CommandGroup, help="The political transparency register.")

EXIT_COUNTS_DISAGREE = 3  # as ``ledger verify`` exits when verification fails


@app.command()
def recount(
    url: Annotated[str, typer.Option(help="Base URL of a consentgate server.")],
    operator_key: Annotated[
        str | None,
        typer.Option(
            help="An operator key (any role) to fetch the leaf bytes; needed once the public "
            "ledger shows hashes only.",
            envvar="CONSENTGATE_OPERATOR_KEY",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Pin the ledger's verifier key (else it is fetched from the server)."),
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Recount the register from the ledger: check its checkpoint is part of the signed log,
    hash every leaf up to it, count, compare. Exit 0 when every count agrees, 3 when not
    (first line: FAIL <what>)."""
    with httpx.Client(base_url=url, timeout=60) as client:
        result = recount_register(client, operator_key=operator_key, key=key)
    if as_json:
        print_json(result.as_dict())
    else:
        typer.echo(result.line())
        for problem in result.problems[1:]:
            typer.echo(f"FAIL {problem}")
    if not result.ok:
        raise typer.Exit(EXIT_COUNTS_DISAGREE)
