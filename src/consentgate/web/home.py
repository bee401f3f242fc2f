"""``/``: where a newcomer lands — the privacy centre and the console."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from consentgate.web.pages import codec_of, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", session=codec_of(request).read(request))
