"""`consentgate ledger ...` — verify the published log, export sealed ranges to Parquet,
shred a subject."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from consentgate.analytics import DEFAULT_RANGE_LEAVES, export_ledger, verify_export
from consentgate.cli.database import command_runtime, existing_database
from consentgate.cli.output import CommandGroup, JsonOption, print_json, print_record
from consentgate.errors import InvalidInput
from consentgate.ledger.fsck import FsckResult, check_database
from consentgate.ledger.note import NoteVerifier
from consentgate.ledger.store import stored_verifier
from consentgate.ledger.verify import Verification, verify_published
from consentgate.rights import shred_subject
from consentgate.settings import LedgerSettings, load_settings

app = typer.Typer(cls=CommandGroup, help="The verifiable disclosure ledger.")

EXIT_VERIFICATION_FAILED = 3


@app.command()
def verify(
    url: Annotated[str | None, typer.Option(help="Base URL of a consentgate server.")] = None,
    database: Annotated[
        str | None, typer.Option(help="Check a ledger database directly (fsck).")
    ] = None,
    since: Annotated[
        Path | None, typer.Option(help="An earlier checkpoint note you saved: prove consistency.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Pin the verifier key (else it is fetched from the server).")
    ] = None,
    save: Annotated[
        Path | None, typer.Option(help="Write the verified checkpoint here, for the next --since.")
    ] = None,
    operator_key: Annotated[
        str | None,
        typer.Option(
            envvar="CONSENTGATE_OPERATOR_KEY",
            help="With --url: an operator key (any role) to check leaf contents too.",
        ),
    ] = None,
) -> None:
    """Verify the log: the tree from published material only (--url; with --operator-key
    the leaf contents too), or the stored ledger end to end (--database: tree, contents and
    every column derived from a leaf). Exit 0 when all holds, 3 when not (first line:
    FAIL index=<i>: ...)."""
    if (url is None) == (database is None):
        raise typer.BadParameter("give exactly one of --url and --database")
    if operator_key is not None and url is None:
        raise typer.BadParameter("--operator-key goes with --url")
    earlier = since.read_text("utf-8") if since is not None else None
    result: Verification | FsckResult
    if url is not None:
        with httpx.Client(base_url=url, timeout=30) as client:
            result = verify_published(client, key=key, since=earlier, operator_key=operator_key)
    else:
        assert database is not None
        origin = load_settings(LedgerSettings).ledger_origin if key is None else None
        db = existing_database(database)
        try:
            verifier = (
                NoteVerifier.parse(key)
                if key is not None
                else stored_verifier(db, origin=origin or "")
            )
            if verifier is None:
                raise InvalidInput("this database holds no ledger key: pass --key")
            result = check_database(db, verifier, since=earlier)
        finally:
            db.dispose()
    typer.echo(result.line())
    if not result.ok:
        raise typer.Exit(EXIT_VERIFICATION_FAILED)
    if save is not None and isinstance(result, Verification) and result.note is not None:
        save.write_text(result.note, "utf-8")


@app.command()
def export(
    parquet: Annotated[Path, typer.Option(help="The export folder (created when missing).")],
    range_leaves: Annotated[
        int, typer.Option(min=1, help="Most leaves in one range file.")
    ] = DEFAULT_RANGE_LEAVES,
    check: Annotated[
        bool, typer.Option("--verify", help="Verify every exported range; export nothing.")
    ] = False,
    key: Annotated[
        str | None, typer.Option(help="Pin the ledger's verifier key (with --verify).")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Export the sealed ledger ranges not yet exported to Parquet (pseudonyms only; one
    file per range; manifest.json names each range's checkpoint). With --verify, check
    every range against its checkpoint instead (exit 3 when one fails)."""
    if check:
        verifier = NoteVerifier.parse(key) if key is not None else None
        checks = verify_export(parquet, verifier)
        failed = [c for c in checks if not c.ok]
        if as_json:
            print_json({"ranges": [c.as_dict() for c in checks], "ok": not failed})
        else:
            for c in checks:
                typer.echo(
                    f"{'OK  ' if c.ok else 'FAIL'} {c.file}"
                    + (f": {c.problem}" if c.problem else "")
                )
            typer.echo(f"{len(checks) - len(failed)} of {len(checks)} ranges verified")
        if failed:
            raise typer.Exit(EXIT_VERIFICATION_FAILED)
        return
    runtime = command_runtime()
    try:
        result = export_ledger(runtime.stores.ledger, parquet, range_leaves=range_leaves)
    finally:
        runtime.close()
    print_record(result.as_dict(), as_json=as_json, title="exported")


@app.command()
def shred(
    subject_id: Annotated[str, typer.Argument(help="The platform subject id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Append an erasure leaf, erase the rows that link the subject to their leaves (consents,
    incident lists) and destroy their pseudonym key, in one transaction. Every proof still
    verifies afterwards."""
    runtime = command_runtime()
    result = shred_subject(runtime.stores, subject_id)
    print_record(
        {
            "subject": subject_id,
            "erasure_leaf": result.erasure_leaf,
            "consents_erased": result.consents_erased,
        },
        as_json=as_json,
        title="shredded",
    )
