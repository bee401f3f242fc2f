"""What every response model shares: ``Public`` (extra keys forbidden), ``Timestamp`` and
``Hex`` (a SHA-256 tree hash in lower-case hex)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

__all__ = ["Hex", "Public", "Timestamp"]


class Public(BaseModel):
    """A response body: exactly the declared keys (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


# An RFC 3339 time written as the library writes it (``datetime.isoformat()``, UTC with a
# ``+00:00`` offset), so a body is byte for byte what it was before the models.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
