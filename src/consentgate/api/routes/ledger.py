"""Public ledger endpoints (no authentication: they carry no identifiers): the latest signed
checkpoint, the note verifier key, leaves by index, inclusion and consistency proofs — all
an auditor needs to verify the log without trusting its operator.

Leaves are listed as commitments only — index and RFC 9162 leaf hash (the leaf's random
nonce makes the hash hiding) — and their bytes are added for an operator key (any role)
only: a leaf names a pseudonym, its ``prev`` link and the request id the app was given, so
public bytes would let any app join its users with every other app's (DESIGN.md,
Hardening). The person gets their own leaves from ``/v1/me/disclosures``."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from consentgate.api.deps import RuntimeDep, optional_operator_may, strict_query
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.ledger import LeavesPublic, ProofPublic
from consentgate.authz import Action, Actor
from consentgate.errors import InvalidInput, StorageUnavailable
from consentgate.ledger.merkle import leaf_hash

router = APIRouter(prefix="/v1/ledger", tags=["ledger (public)"], responses=ERROR_RESPONSES)

LEAVES_PAGE = 1000
Index = Annotated[int, Query(ge=0, le=2**62)]
LeafReader = Annotated[Actor | None, Depends(optional_operator_may(Action.LEDGER_LEAVES_READ))]


@router.get("/checkpoint", response_class=PlainTextResponse, summary="Latest signed checkpoint")
def checkpoint(runtime: RuntimeDep) -> PlainTextResponse:
    note = runtime.stores.ledger.latest_note()
    if note is None:
        raise StorageUnavailable("no checkpoint has been published yet: retry in a second")
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get("/key", response_class=PlainTextResponse, summary="The checkpoint verifier key")
def key(runtime: RuntimeDep) -> PlainTextResponse:
    return PlainTextResponse(runtime.stores.ledger.verifier.encode(), media_type="text/plain")


@router.get(
    "/leaves",
    response_model=LeavesPublic,
    response_model_exclude_none=True,  # no "leaf" key where the bytes are not shown
    summary="Leaves [start, end): hex leaf hash, and base64 leaf bytes for operators",
    dependencies=[Depends(strict_query("start", "end"))],
)
async def leaves(
    start: Index, end: Index, runtime: RuntimeDep, operator: LeafReader
) -> dict[str, Any]:
    if end < start:
        raise InvalidInput("end must not be below start")
    rows = await run_in_threadpool(
        runtime.stores.ledger.leaves, start, min(end, start + LEAVES_PAGE)
    )
    with_bytes = operator is not None
    return {"leaves": [_item(i, data, with_bytes=with_bytes) for i, data in rows]}


def _item(index: int, data: bytes, *, with_bytes: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"index": index, "hash": leaf_hash(data).hex()}
    if with_bytes:
        item["leaf"] = base64.b64encode(data).decode()
    return item


@router.get(
    "/proof/inclusion",
    response_model=ProofPublic,
    summary="Inclusion proof of leaf index in the tree of a published size",
    dependencies=[Depends(strict_query("index", "size"))],
)
async def inclusion(index: Index, size: Index, runtime: RuntimeDep) -> dict[str, Any]:
    proof = await run_in_threadpool(runtime.stores.ledger.inclusion_proof, index, size)
    return {"hashes": [h.hex() for h in proof]}


@router.get(
    "/proof/consistency",
    response_model=ProofPublic,
    summary="Consistency proof between two published sizes",
    dependencies=[Depends(strict_query("first", "second"))],
)
async def consistency(first: Index, second: Index, runtime: RuntimeDep) -> dict[str, Any]:
    proof = await run_in_threadpool(runtime.stores.ledger.consistency_proof, first, second)
    return {"hashes": [h.hex() for h in proof]}
