"""`consentgate apps ...` — register, review, suspend and inspect third-party apps."""

from __future__ import annotations

from typing import Annotated

import typer

from consentgate import breach
from consentgate.apps import (
    approve_app,
    get_app,
    list_apps,
    register_app,
    reject_app,
    rotate_client_secret,
    suspend_app,
)
from consentgate.authz import Actor
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_record, print_table
from consentgate.policy import AppStatus

app = typer.Typer(cls=CommandGroup, help="Register, review and suspend third-party apps.")

_COLUMNS = ("id", "name", "status", "purposes", "fields_approved", "status_reason")

# the command line acts as consentgate itself: whoever runs it holds the database
CLI = Actor.system("cli")


def _field_justifications(values: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for value in values:
        name, sep, justification = value.partition("=")
        if not sep or not name.strip() or not justification.strip():
            raise typer.BadParameter(
                f"expected NAME=JUSTIFICATION, got {value!r}", param_hint="--field"
            )
        fields[name.strip()] = justification.strip()
    return fields


@app.command()
def register(
    name: Annotated[str, typer.Option(help="The app's name as people will see it.")],
    developer_name: Annotated[str, typer.Option(help="The developer (person or company).")],
    developer_email: Annotated[str, typer.Option(help="The developer's contact email.")],
    developer_country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code.")],
    purpose: Annotated[list[str], typer.Option(help="A declared purpose (repeatable).")],
    field: Annotated[
        list[str], typer.Option(help="A requested field as NAME=JUSTIFICATION (repeatable).")
    ],
    retention_days: Annotated[int, typer.Option(help="How long the app keeps the data.")],
    privacy_policy_url: Annotated[str, typer.Option(help="The app's privacy policy.")],
    sponsor_name: Annotated[
        str | None, typer.Option(help="political_campaigning: on whose behalf it campaigns.")
    ] = None,
    sponsor_country: Annotated[
        str | None, typer.Option(help="political_campaigning: the sponsor's ISO country code.")
    ] = None,
    funding_statement: Annotated[
        str | None, typer.Option(help="political_campaigning: who pays, and how much.")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Register an app for review. Prints its client secret once: store it now. An app for
    political_campaigning needs --sponsor-name, --sponsor-country and --funding-statement."""
    runtime = command_runtime()
    registration: dict[str, object] = {
        "name": name,
        "developer": {
            "name": developer_name,
            "email": developer_email,
            "country": developer_country.upper(),
        },
        "purposes": purpose,
        "fields": _field_justifications(field),
        "retention_days": retention_days,
        "privacy_policy_url": privacy_policy_url,
    }
    if sponsor_name is not None or sponsor_country is not None:
        registration["sponsor"] = {
            "name": sponsor_name or "",
            "country": (sponsor_country or "").upper(),
        }
    if funding_statement is not None:
        registration["funding_statement"] = funding_statement
    registered = register_app(runtime.stores.apps, runtime.catalog, registration, actor=CLI)
    record = registered.app.as_dict() | {"client_secret": registered.client_secret}
    print_record(record, as_json=as_json, title="registered (the client secret is shown once)")


@app.command()
def approve(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    field: Annotated[
        list[str] | None, typer.Option(help="Approve only these requested fields (repeatable).")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Approve a pending app for all its requested fields, or a subset."""
    runtime = command_runtime()
    approved = approve_app(
        runtime.stores.apps, runtime.catalog, app_id, fields=field or None, actor=CLI
    )
    print_record(approved.as_dict(), as_json=as_json, title="approved")


@app.command()
def reject(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    reason: Annotated[str, typer.Option(help="Why the app is rejected.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Reject a pending app."""
    runtime = command_runtime()
    rejected = reject_app(runtime.stores.apps, app_id, reason=reason, actor=CLI)
    print_record(rejected.as_dict(), as_json=as_json)


@app.command()
def suspend(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    reason: Annotated[str, typer.Option(help="Why the app is suspended.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Suspend an approved app: its next request is refused."""
    runtime = command_runtime()
    suspended = suspend_app(runtime.stores.apps, app_id, reason=reason, actor=CLI)
    print_record(suspended.as_dict(), as_json=as_json)


@app.command()
def reinstate(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    reason: Annotated[str | None, typer.Option(help="Why the app is reinstated.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Reinstate a suspended app (its open incidents close)."""
    runtime = command_runtime()
    reinstated = breach.reinstate(runtime.stores, app_id, actor=CLI, reason=reason)
    print_record(reinstated.as_dict(), as_json=as_json)


@app.command("list")
def list_(
    status: Annotated[AppStatus | None, typer.Option(help="Only apps in this status.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """List registered apps."""
    runtime = command_runtime()
    rows = [a.as_dict() for a in list_apps(runtime.stores.apps, status=status, limit=1000)]
    print_table(rows, _COLUMNS, as_json=as_json, title="apps")


@app.command()
def show(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show one app."""
    runtime = command_runtime()
    print_record(get_app(runtime.stores.apps, app_id).as_dict(), as_json=as_json, title=app_id)


@app.command("rotate-secret")
def rotate_secret(
    app_id: Annotated[str, typer.Argument(help="The app id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Give the app a new client secret (printed once): the old one, and every token
    issued under it, stop working at once."""
    runtime = command_runtime()
    rotated = rotate_client_secret(runtime.stores.apps, app_id, actor=CLI)
    record = {
        "app_id": rotated.app.id,
        "client_id": rotated.app.client_id,
        "client_secret": rotated.client_secret,
    }
    print_record(record, as_json=as_json, title="client secret rotated")
