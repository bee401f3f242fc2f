"""Operator keys (admin only): list every key with its history, revoke one. A revoked
key is refused at once everywhere (401 ``INVALID_TOKEN``); a key cannot revoke itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from consentgate.api.deps import RuntimeDep, operator_may, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.operators import OperatorKeyPublic, OperatorKeysPublic
from consentgate.authz import Action, Actor
from consentgate.operators import revoke_operator_key

router = APIRouter(prefix="/v1/operators", tags=["operators (admin)"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(operator_may(Action.OPERATORS_READ))]
Revoker = Annotated[Actor, Depends(operator_may(Action.OPERATORS_REVOKE))]
OperatorPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "",
    response_model=OperatorKeysPublic,
    summary="Every operator key (never the key itself), revoked ones too, oldest first",
    dependencies=[Depends(strict_query())],
)
def list_(runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    return {"data": [key.as_dict() for key in runtime.stores.operators.list_keys()]}


@router.delete(
    "/{operator_id}",
    response_model=OperatorKeyPublic,
    summary="Revoke an operator key (recorded with the revoking key's id)",
)
def revoke(operator_id: OperatorPath, runtime: RuntimeDep, actor: Revoker) -> dict[str, Any]:
    return revoke_operator_key(runtime.stores.operators, operator_id, actor=actor).as_dict()
