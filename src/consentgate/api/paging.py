"""Paging as the contract has it: ``{"data", "paging": {"next"}}`` (the generic response
model ``Page[T]``), ``?cursor=`` opaque and sealed (AES-SIV, bound to the list it came
from), ``limit`` 1..1000, default 100. A list asks for ``limit + 1`` items, so ``next`` is
set only when another item exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field

from consentgate.api.models.base import Public
from consentgate.errors import InvalidInput
from consentgate.gateway.scoped_ids import IdSealer

__all__ = ["CursorQuery", "LimitQuery", "Page", "Paging", "cursor_position", "page"]

T = TypeVar("T")


class Paging(Public):
    next: str | None = Field(
        description="The cursor of the next page (pass it as `?cursor=`), or null on the last"
    )


class Page(Public, Generic[T]):
    """A page of a list (``Page[AppPublic]`` is titled ``AppPage`` in the OpenAPI)."""

    data: list[T]
    paging: Paging

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        name = getattr(params[0], "__name__", str(params[0]))
        return name.removesuffix("Public") + "Page"


CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`paging.next` of the last page")
]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Items per page")]


def cursor_position(sealer: IdSealer, scope: str, cursor: str | None) -> str | None:
    """Where a cursor of the list ``scope`` points; ``InvalidInput`` for any other string."""
    if cursor is None:
        return None
    position = sealer.position(scope, cursor)
    if position is None:
        raise InvalidInput("the paging cursor is not valid for this list")
    return position


def page(
    sealer: IdSealer, scope: str, items: Sequence[T], limit: int, key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``items`` (fetched as ``limit + 1``) and the next cursor."""
    shown = list(items[:limit])
    more = len(items) > limit and bool(shown)
    return shown, sealer.cursor(scope, key(shown[-1])) if more else None
