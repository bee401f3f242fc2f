"""`consentgate incidents ...` — the incidents harvest detection opened, for the DPO."""

from __future__ import annotations

from typing import Annotated

import typer

from consentgate.breach import get_incident, incident_subject_ids, list_incidents
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_json, print_record, print_table

app = typer.Typer(cls=CommandGroup, help="Inspect incidents opened by harvest detection.")

_COLUMNS = ("id", "app_id", "rule", "status", "opened_at", "subjects_disclosed")


@app.command("list")
def list_(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this app's incidents.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """List incidents, oldest first."""
    runtime = command_runtime()
    found = list_incidents(runtime.stores.incidents, after=None, limit=1000, app_id=app_id)
    print_table([i.as_dict() for i in found], _COLUMNS, as_json=as_json, title="incidents")


@app.command()
def show(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show one incident with its evidence."""
    runtime = command_runtime()
    incident = get_incident(runtime.stores.incidents, incident_id)
    print_record(incident.as_dict(), as_json=as_json, title=incident_id)


@app.command()
def subjects(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
) -> None:
    """The platform ids of the people disclosed in the incident's window (for notices)."""
    runtime = command_runtime()
    ids: list[str] = []
    after: str | None = None
    while True:
        page = incident_subject_ids(runtime.stores.incidents, incident_id, after=after, limit=1000)
        ids += page
        if len(page) < 1000:
            break
        after = page[-1]
    print_json(ids)
