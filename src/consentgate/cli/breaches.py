"""`consentgate breaches ...` — personal data breaches for the DPO: list, show, the Art. 33
report, the affected people with their Art. 34 notices, and the authority's notification."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from consentgate import breach
from consentgate.authz import Actor
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_json, print_record, print_table
from consentgate.clock import utc_now
from consentgate.runtime import Runtime

app = typer.Typer(cls=CommandGroup, help="Personal data breaches (GDPR Art. 33, 34).")

CLI = Actor.system("cli")
_COLUMNS = ("id", "app_id", "status", "discovered_at", "authority_due_at", "subjects", "level")


def _row(item: breach.Breach) -> dict[str, Any]:
    return item.as_dict(now=utc_now()) | {
        "subjects": item.scope.get("subjects"),
        "level": item.severity.get("level"),
    }


def _app_name(runtime: Runtime, app_id: str) -> str:
    found = runtime.stores.apps.get(app_id)
    return app_id if found is None else found.name


@app.command("list")
def list_(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this app's breaches.")] = None,
    status: Annotated[str | None, typer.Option(help="Only breaches in this status.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """List breaches, oldest first."""
    runtime = command_runtime()
    found: list[breach.Breach] = []
    after: str | None = None
    while True:
        page = breach.list_breaches(
            runtime.stores.breaches, after=after, limit=1000, app_id=app_id, status=status
        )
        found += page
        if len(page) < 1000:
            break
        after = page[-1].id
    print_table([_row(b) for b in found], _COLUMNS, as_json=as_json, title="breaches")


@app.command()
def show(
    breach_id: Annotated[str, typer.Argument(help="The breach id (brc_...).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show one breach: scope, severity, FTC flag, exposure, clock and history."""
    runtime = command_runtime()
    found = breach.get_breach(runtime.stores.breaches, breach_id)
    events = breach.breach_events(runtime.stores.breaches, breach_id)
    record = found.as_dict(now=utc_now()) | {"history": [e.as_dict() for e in events]}
    print_record(record, as_json=as_json, title=breach_id)


@app.command()
def report(
    breach_id: Annotated[str, typer.Argument(help="The breach id (brc_...).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Print the Art. 33(3) notification: Markdown, or JSON with --json."""
    runtime = command_runtime()
    found = breach.get_breach(runtime.stores.breaches, breach_id)
    document = breach.report(
        found,
        breach.breach_events(runtime.stores.breaches, breach_id),
        app_name=_app_name(runtime, found.app_id),
        catalog=runtime.catalog,
        policy=runtime.breach_context.policy,
        now=utc_now(),
    )
    if as_json:
        print_json(document)
    else:
        typer.echo(breach.report_markdown(document))


@app.command()
def subjects(
    breach_id: Annotated[str, typer.Argument(help="The breach id (brc_...).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The affected people still identifiable, each with their Art. 34 notice."""
    runtime = command_runtime()
    context = runtime.breach_context
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        found, people = breach.breach_subjects(
            runtime.stores.breaches, breach_id, after=after, limit=1000
        )
        name = _app_name(runtime, found.app_id)
        rows += breach.affected_people(
            found, people, app_name=name, catalog=context.catalog, policy=context.policy
        )
        if len(people) < 1000:
            break
        after = people[-1].subject_id
    columns = ("subject_id", "fields", "first_at", "last_at", "records", "country")
    print_table(rows, columns, as_json=as_json, title=f"{breach_id}: affected people")


@app.command()
def notify(
    breach_id: Annotated[str, typer.Argument(help="The breach id (brc_...).")],
    authority: Annotated[str, typer.Option(help="The authority notified.")],
    reference: Annotated[str, typer.Option(help="The authority's reference.")],
    late_reason: Annotated[
        str | None, typer.Option(help="Reasons for the delay (required after 72 hours).")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record that the authority was notified (after 72 hours only with --late-reason)."""
    runtime = command_runtime()
    found = breach.notify(
        runtime.stores,
        breach_id,
        authority=authority,
        reference=reference,
        late_reason=late_reason,
        actor=CLI,
    )
    print_record(_row(found), as_json=as_json, title=breach_id)


@app.command()
def assess(
    breach_id: Annotated[str, typer.Argument(help="The breach id (brc_...).")],
    notifiable: Annotated[bool, typer.Option(help="Whether the authority must be notified.")],
    reason: Annotated[str, typer.Option(help="Why (Art. 33(5) documentation).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record whether the breach must be notified (--no-notifiable: not_notifiable)."""
    runtime = command_runtime()
    found = breach.assess(
        runtime.stores, breach_id, notifiable=notifiable, reason=reason, actor=CLI
    )
    print_record(_row(found), as_json=as_json, title=breach_id)
