"""`consentgate requests ...` — the rights-request queue for the DPO: list, show, create on
a person's behalf, extend, reject, lift. Steps are recorded as ``system:cli``; notices they
write are delivered by the running server's outbox."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from consentgate.authz import Actor
from consentgate.cli.database import command_runtime
from consentgate.cli.output import CommandGroup, JsonOption, print_record, print_table
from consentgate.errors import InvalidInput
from consentgate.rights import OperatorRequestBody, RequestStatus, RequestType
from consentgate.validation import first_problem

app = typer.Typer(cls=CommandGroup, help="The rights-request queue (Arts. 12, 15-22).")

CLI = Actor.system("cli")
_COLUMNS = ("id", "type", "status", "subject_id", "received_at", "due_at", "extended_due_at")
_BODY: TypeAdapter[Any] = TypeAdapter(OperatorRequestBody)


@app.command("list")
def list_(
    status: Annotated[
        RequestStatus | None, typer.Option(help="Only requests in this status.")
    ] = None,
    type_: Annotated[RequestType | None, typer.Option("--type", help="Only this type.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open requests past their deadline.")] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """List requests by id (up to 1000)."""
    rights = command_runtime().rights
    found = rights.page(status=status, type=type_, overdue=overdue, limit=1000)
    rows = [rights.as_dict(r, operator=True) for r in found]
    print_table(rows, _COLUMNS, as_json=as_json, title="rights requests")


@app.command()
def show(
    request_id: Annotated[str, typer.Argument(help="The request id (dsr_…).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Show one request with its recipients and history."""
    rights = command_runtime().rights
    print_record(rights.as_dict(rights.get(request_id), operator=True), as_json=as_json)


@app.command()
def create(
    subject: Annotated[str, typer.Option(help="The platform subject id of the person.")],
    type_: Annotated[RequestType, typer.Option("--type", help="The right exercised.")],
    verified_by: Annotated[str, typer.Option(help="How the person's identity was verified.")],
    ground: Annotated[str | None, typer.Option(help="restriction: the Art. 18(1) ground.")] = None,
    purpose: Annotated[
        list[str] | None, typer.Option(help="objection: a purpose objected to (repeatable).")
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option(help="rectification: FIELD=VALUE, a corrected value (repeatable)."),
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Record a request on a person's behalf; automated types act at once."""
    body: dict[str, Any] = {
        "type": type_.value,
        "subject_id": subject,
        "verified_by": verified_by,
    }
    if ground is not None:
        body["ground"] = ground
    if purpose:
        body["purposes"] = purpose
    if change:
        body["changes"] = dict(_pair(item) for item in change)
    try:
        parsed = _BODY.validate_python(body)
    except ValidationError as exc:
        where, problem = first_problem(exc)
        raise InvalidInput(f"invalid request: {where}: {problem}") from None
    rights = command_runtime().rights
    request = rights.submit(subject, parsed, actor=CLI, verified_by=verified_by)
    print_record(rights.as_dict(request, operator=True), as_json=as_json, title=request.id)


@app.command()
def extend(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    by: Annotated[int, typer.Option(help="Months (EU/EEA, UK) or days (US) to add, once.")],
    reason: Annotated[str, typer.Option(help="Why (told to the person).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Extend a request's deadline once, before its due_at (Art. 12(3))."""
    rights = command_runtime().rights
    extended = rights.extend(request_id, by=by, reason=reason, actor=CLI)
    print_record(rights.as_dict(extended, operator=True), as_json=as_json, title=request_id)


@app.command()
def reject(
    request_id: Annotated[str, typer.Argument(help="The request id.")],
    reason: Annotated[str, typer.Option(help="Why (Art. 12(5)).")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Refuse an open request, with the reason."""
    rights = command_runtime().rights
    rejected = rights.reject(request_id, reason=reason, actor=CLI)
    print_record(rights.as_dict(rejected, operator=True), as_json=as_json, title=request_id)


@app.command()
def lift(
    request_id: Annotated[str, typer.Argument(help="The restriction request id.")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lift a restriction: reads of the person are decided as before from the next one."""
    rights = command_runtime().rights
    lifted = rights.lift(request_id, actor=CLI)
    print_record(rights.as_dict(lifted, operator=True), as_json=as_json, title=request_id)


def _pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise InvalidInput(f"--change takes FIELD=VALUE, not {item!r}")
    return name, value
