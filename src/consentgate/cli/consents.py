"""`consentgate consents ...` — grant, withdraw, renew and list a subject's consents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from consentgate.authz import Actor
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_record, print_table
from consentgate.consent import grant_consent, list_consents, renew_consent, withdraw_consent

CLI = Actor.system("cli")

app = typer.Typer(cls=CommandGroup, help="Grant, withdraw, renew and list consents.")

_COLUMNS = ("id", "app_id", "purpose", "fields", "explicit", "expires_at", "withdrawn_at")


@app.command()
def grant(
    subject: Annotated[str, typer.Option(help="The platform subject id giving consent.")],
    app_id: Annotated[str, typer.Option("--app", help="The app id.")],
    purpose: Annotated[str, typer.Option(help="The purpose consented to.")],
    field: Annotated[list[str], typer.Option(help="A field consented to (repeatable).")],
    explicit: Annotated[
        bool, typer.Option(help="Explicit consent (needed for special categories).")
    ] = False,
    guardian_name: Annotated[str | None, typer.Option(help="Parental consent: guardian.")] = None,
    guardian_email: Annotated[str | None, typer.Option(help="Parental consent: email.")] = None,
    guardian_method: Annotated[
        str | None, typer.Option(help="Parental consent: how it was verified.")
    ] = None,
    guardian_verified_at: Annotated[
        datetime | None, typer.Option(help="Parental consent: when it was verified.")
    ] = None,
    notice_version: Annotated[str, typer.Option(help="The notice version shown.")] = "1",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record a subject's consent on their behalf (the receipt says an operator recorded
    it); prints the consent and its signed receipt."""
    runtime = command_runtime()
    request: dict[str, Any] = {
        "app_id": app_id,
        "purpose": purpose,
        "fields": field,
        "explicit": explicit,
        "notice_version": notice_version,
    }
    parental = (guardian_name, guardian_email, guardian_method, guardian_verified_at)
    if any(value is not None for value in parental):
        request["parental_consent"] = {
            "guardian_name": guardian_name,
            "guardian_email": guardian_email,
            "method": guardian_method,
            "verified_at": guardian_verified_at,
        }
    consent = grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject,
        request=request,
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject),
        recorded_by=CLI,  # an operator at the command line, not the person: the receipt says so
    )
    print_record(consent.as_dict(), as_json=as_json, title="granted")


@app.command()
def withdraw(
    consent_id: Annotated[str, typer.Argument(help="The consent id.")],
    subject: Annotated[str, typer.Option(help="The subject the consent belongs to.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Withdraw a consent; it stops applying at the next request."""
    runtime = command_runtime()
    consent = withdraw_consent(runtime.stores.consents, subject_id=subject, consent_id=consent_id)
    print_record(consent.as_dict(), as_json=as_json, title="withdrawn")


@app.command()
def renew(
    consent_id: Annotated[str, typer.Argument(help="The consent id.")],
    subject: Annotated[str, typer.Option(help="The subject the consent belongs to.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Renew a consent for another period from now."""
    runtime = command_runtime()
    consent = renew_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        subject_id=subject,
        consent_id=consent_id,
        policy=runtime.consent_policy,
        state=runtime.stores.subjects.decision_state(subject),
    )
    print_record(consent.as_dict(), as_json=as_json, title="renewed")


@app.command("list")
def list_(
    subject: Annotated[str | None, typer.Option(help="Only this subject's consents.")] = None,
    app_id: Annotated[str | None, typer.Option("--app", help="Only consents to this app.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """List consents."""
    runtime = command_runtime()
    rows = [
        c.as_dict()
        for c in list_consents(
            runtime.stores.consents, subject_id=subject, app_id=app_id, limit=1000
        )
    ]
    print_table(rows, _COLUMNS, as_json=as_json, title="consents")
