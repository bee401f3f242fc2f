"""`consentgate ledger ...` — verify the published log, shred a subject."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from consentgate.cli.output import CommandGroup, JsonOption, print_record
from consentgate.ledger.erasure import shred_subject
from consentgate.ledger.store import open_ledger
from consentgate.ledger.verify import verify_published
from consentgate.runtime import open_runtime

app = typer.Typer(cls=CommandGroup, help="The verifiable disclosure ledger.")

EXIT_VERIFICATION_FAILED = 3


@app.command()
def verify(
    url: Annotated[str, typer.Option(help="Base URL of a consentgate server.")],
    since: Annotated[
        Path | None, typer.Option(help="An earlier checkpoint note you saved: prove consistency.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Pin the verifier key (else it is fetched from the server).")
    ] = None,
    save: Annotated[
        Path | None, typer.Option(help="Write the verified checkpoint here, for the next --since.")
    ] = None,
) -> None:
    """Verify the log from published material only. Exit 0 when all holds, 3 when not."""
    earlier = since.read_text("utf-8") if since is not None else None
    with httpx.Client(base_url=url, timeout=30) as client:
        result = verify_published(client, key=key, since=earlier)
    typer.echo(result.line())
    if not result.ok:
        raise typer.Exit(EXIT_VERIFICATION_FAILED)
    if save is not None and result.note is not None:
        save.write_text(result.note, "utf-8")


@app.command()
def shred(
    subject_id: Annotated[str, typer.Argument(help="The platform subject id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Append an erasure leaf, then destroy the subject's pseudonym key and the rows that
    link them to their leaves. Every proof still verifies afterwards."""
    runtime = open_runtime()
    ledger = open_ledger(runtime.engine, origin=runtime.settings.ledger_origin)
    result = shred_subject(ledger, subject_id)
    print_record(
        {
            "subject": subject_id,
            "erasure_leaf": result.erasure_leaf,
            "consents_erased": result.consents_erased,
        },
        as_json=as_json,
        title="shredded",
    )
