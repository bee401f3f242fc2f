"""The political transparency register (public, no authentication: no identifiers): every
app approved for ``political_campaigning``, with the people it reached per country, counted
from the ledger up to the named checkpoint; counts below ``min_cell_size`` are ``null``
(docs/elections.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from consentgate.api.deps import RuntimeDep, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.transparency import PoliticalRegisterPublic
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position
from consentgate.errors import InvalidInput
from consentgate.transparency import CheckpointRef, RegisterPage, register_csv

router = APIRouter(
    prefix="/v1/transparency", tags=["transparency (public)"], responses=ERROR_RESPONSES
)

SCOPE = "transparency:political"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


FormatQuery = Annotated[
    Literal["json", "csv"], Query(description="`json` (default) or `csv` (one row per country)")
]


@router.get(
    "/political",
    summary="The political transparency register (counts from the ledger)",
    response_model=PoliticalRegisterPublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    dependencies=[Depends(strict_query("format", "cursor", "limit"))],
)
def political(
    runtime: RuntimeDep,
    format: FormatQuery = "json",
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> PoliticalRegisterPublic | Response:
    register = runtime.register
    checkpoint: CheckpointRef | None = None
    after: str | None = None
    position = cursor_position(runtime.sealer, SCOPE, cursor)
    if position is not None:
        size, _, after = position.partition(":")
        if not size.isdigit() or not after:
            raise InvalidInput("the paging cursor is not valid for this list")
        checkpoint = register.checkpoint_of(int(size))
    found = register.page(checkpoint=checkpoint, after=after, limit=limit)
    next_cursor = _next_cursor(runtime.sealer.cursor, found)
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="political-register.csv"'}
        if next_cursor is not None:
            headers["Link"] = f'<?format=csv&cursor={quote(next_cursor)}&limit={limit}>; rel="next"'
        return Response(register_csv(found), media_type=CSV_MEDIA_TYPE, headers=headers)
    return PoliticalRegisterPublic.model_validate(
        {
            "data": [entry.as_dict() for entry in found.entries],
            "checkpoint": found.checkpoint.as_dict(),
            "min_cell_size": found.min_cell_size,
            "paging": {"next": next_cursor},
        }
    )


def _next_cursor(seal: Callable[[str, str], str], found: RegisterPage) -> str | None:
    """A cursor holding the page's checkpoint size and its last app id."""
    if not found.more or not found.entries:
        return None
    return seal(SCOPE, f"{found.checkpoint.size}:{found.entries[-1].app_id}")
