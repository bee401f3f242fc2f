"""The paging object every list carries."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["PagingPublic"]


class PagingPublic(BaseModel):
    next: str | None
