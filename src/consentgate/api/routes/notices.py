"""App endpoints for Art. 19 notices: the app's notices, and acknowledging one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from consentgate.api.deps import CurrentApp, RuntimeDep, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.notices import NoticePage
from consentgate.api.paging import CursorQuery, LimitQuery, cursor_position, page

router = APIRouter(prefix="/v1/app/notices", tags=["notices (apps)"], responses=ERROR_RESPONSES)
NoticePath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "",
    summary="My notices (erasure, rectification, restriction of a person I received data of)",
    dependencies=[Depends(strict_query("status", "cursor", "limit"))],
    response_model=NoticePage,
)
def notices(
    app_id: CurrentApp,
    runtime: RuntimeDep,
    status: Annotated[Literal["pending", "acknowledged"] | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    scope = f"notices:{app_id}:{status}"
    after = cursor_position(runtime.sealer, scope, cursor)
    acknowledged = None if status is None else status == "acknowledged"
    found = runtime.stores.notices.page(
        app_id, acknowledged=acknowledged, after=after, limit=limit + 1
    )
    shown, next_cursor = page(runtime.sealer, scope, found, limit, lambda n: n.id)
    return {"data": [n.as_dict() for n in shown], "paging": {"next": next_cursor}}


@router.post(
    "/{notice_id}/ack",
    status_code=204,
    summary="Acknowledge a notice (another app's is not found)",
    response_class=Response,
)
def acknowledge(notice_id: NoticePath, app_id: CurrentApp, runtime: RuntimeDep) -> Response:
    runtime.rights.acknowledge(app_id, notice_id)
    return Response(status_code=204)
