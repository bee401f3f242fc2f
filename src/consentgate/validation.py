"""Turning pydantic validation failures into one ``InvalidInput`` naming where and what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from consentgate.errors import InvalidInput

__all__ = ["first_problem", "parse_model"]

M = TypeVar("M", bound=BaseModel)


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """(where, what) of the first validation error."""
    error = exc.errors(include_url=False)[0]
    return ".".join(str(part) for part in error["loc"]), str(error["msg"])


def parse_model(model: type[M], value: M | Mapping[str, Any], *, what: str) -> M:
    """``value`` as a ``model``; ``InvalidInput('invalid <what>: <where>: <problem>')`` if not."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        where, problem = first_problem(exc)
        raise InvalidInput(f"invalid {what}: {where or what}: {problem}") from None
