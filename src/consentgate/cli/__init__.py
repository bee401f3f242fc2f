"""The ``consentgate`` command line: parse, call the library, render."""

from __future__ import annotations

from typing import Annotated

import typer

from consentgate.cli import (
    apps,
    breaches,
    consents,
    incidents,
    ledger,
    master_key,
    platform,
    requests,
    server,
    simulate,
    transparency,
)
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_json, print_record
from consentgate.gateway import evaluate_access

__all__ = ["app", "main"]

app = typer.Typer(
    cls=CommandGroup,
    help="consentgate: per-field, own-consent release of personal data to third-party apps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(apps.app, name="apps")
app.add_typer(consents.app, name="consents")
app.add_typer(platform.app, name="platform")
app.add_typer(ledger.app, name="ledger")
app.add_typer(server.subjects_app, name="subjects")
app.add_typer(server.operators_app, name="operators")
app.add_typer(simulate.app, name="simulate")
app.add_typer(incidents.app, name="incidents")
app.add_typer(breaches.app, name="breaches")
app.add_typer(requests.app, name="requests")
app.add_typer(transparency.app, name="transparency")
app.add_typer(master_key.app, name="master-key")
app.command()(server.serve)
app.command()(server.demo)


@app.command()
def init(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Create or migrate the database and the receipt signing key."""
    runtime = command_runtime(create=True)
    record = {
        "database": runtime.db.display_url(),
        "schema_revision": runtime.db.schema_revision(),
        "catalog_version": runtime.catalog.version,
        "fields": len(runtime.catalog.fields),
        "purposes": list(runtime.catalog.purposes),
        "receipt_key": runtime.signer.kid,
    }
    print_record(record, as_json=as_json, title="consentgate initialised")


@app.command()
def decide(
    app_id: Annotated[str, typer.Option("--app", help="The app id.")],
    subject: Annotated[str, typer.Option(help="The platform subject id.")],
    purpose: Annotated[str, typer.Option(help="The purpose of the read.")],
    fields: Annotated[str, typer.Option(help="Comma-separated field names.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show what a read would release now, and why each other field is withheld."""
    runtime = command_runtime()
    decision = evaluate_access(
        runtime.stores,
        catalog=runtime.catalog,
        source=runtime.source,
        app_id=app_id,
        subject_id=subject,
        purpose=purpose,
        fields=[f.strip() for f in fields.split(",") if f.strip()],
    )
    record = {
        "allowed": list(decision.allowed),
        "withheld": {k: v.value for k, v in decision.withheld.items()},
        "reason": None if decision.reason is None else decision.reason.value,
    }
    if as_json:
        print_json(record)
    else:
        print_record(record, as_json=False, title="decision")


def main() -> None:
    app()
