"""The privacy centre's two other pages: "What was shared" (``/privacy/disclosures``: every
ledger entry of the person, each inclusion proof checked on the server against the signed
checkpoint and — where JavaScript runs — again in the browser by ``static/proofs.js``,
WebCrypto over the same RFC 9162 path) and "Your rights" (``/privacy/requests``: the
export to download as JSON or a CSV zip, erase, restrict, object, and every request with
its status and due date). The calls are the API's (``/v1/me/disclosures``,
``/v1/me/requests``, ``/v1/me/export``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from consentgate.apps import get_app
from consentgate.authz import Actor
from consentgate.errors import AppNotFound, ConsentGateError, InvalidInput
from consentgate.ledger import PLATFORM_APP, Disclosure, open_checkpoint
from consentgate.ledger.merkle import leaf_hash, verify_inclusion
from consentgate.rights import export_csv, export_subject
from consentgate.rights.models import (
    ErasureBody,
    ObjectionBody,
    RequestBody,
    RestrictionBody,
)
from consentgate.runtime import Runtime
from consentgate.web.auth import person, runtime_of
from consentgate.web.pages import render, see_other, session_and_form

__all__ = ["router"]

router = APIRouter(prefix="/privacy", include_in_schema=False)

SHOWN = 500  # the newest disclosures on the page (the API pages through all of them)
GROUNDS = {
    "accuracy_contested": "I contest the accuracy of my data",
    "unlawful": "The processing is unlawful",
    "legal_claims": "I need the data kept for a legal claim",
    "objection_pending": "I have objected and await the answer",
}


def _app_names(runtime: Runtime, app_ids: set[str]) -> dict[str, str]:
    names = {PLATFORM_APP: "The platform (your own copy)"}
    for app_id in app_ids - {PLATFORM_APP}:
        try:
            names[app_id] = get_app(runtime.stores.apps, app_id).name
        except AppNotFound:
            names[app_id] = app_id
    return names


def _server_check(item: Disclosure, root: bytes | None) -> str:
    """ "Verified" when the leaf's inclusion proof leads to the checkpoint's root."""
    if item.proof is None or root is None:
        return "Not yet in a checkpoint"
    try:
        verify_inclusion(
            item.index, item.proof.size, leaf_hash(item.data), list(item.proof.hashes), root
        )
    except ConsentGateError:
        return "Not verified"
    return "Verified"


@router.get("/disclosures")
def disclosures(request: Request) -> Response:
    session = person(request)
    runtime = runtime_of(request)
    ledger = runtime.stores.ledger
    found = ledger.disclosures_of(session.subject or "")
    items = list(found.items)[-SHOWN:][::-1]
    root = None
    if found.checkpoint is not None:
        root = open_checkpoint(found.checkpoint, ledger.verifier).root
    names = _app_names(runtime, {i.leaf.app for i in items})
    rows = [
        {
            "item": item,
            "app": names.get(item.leaf.app, item.leaf.app),
            "purpose": runtime.catalog.purposes[item.leaf.purpose].label
            if item.leaf.purpose in runtime.catalog.purposes
            else item.leaf.purpose,
            "leaf": base64.b64encode(item.data).decode(),
            "proof": None
            if item.proof is None
            else json.dumps(
                {"size": item.proof.size, "hashes": [h.hex() for h in item.proof.hashes]}
            ),
            "check": _server_check(item, root),
        }
        for item in items
    ]
    return render(
        request,
        "privacy/disclosures.html",
        {
            "rows": rows,
            "checkpoint": found.checkpoint,
            "key": ledger.verifier.encode(),
            "total": len(found.items),
        },
        session=session,
    )


@router.get("/requests")
def requests_page(request: Request) -> Response:
    session = person(request)
    runtime = runtime_of(request)
    subject = session.subject or ""
    found = runtime.rights.page(subject_id=subject, limit=500)
    state = runtime.stores.subjects.get(subject)
    return render(
        request,
        "privacy/requests.html",
        {
            "requests": sorted(found, key=lambda r: r.received_at, reverse=True),
            "grounds": GROUNDS,
            "purposes": runtime.catalog.purposes,
            "state": state,
        },
        session=session,
    )


def _body(form: Any) -> RequestBody:
    kind = form.get("type")
    if kind == "erasure":
        return ErasureBody(type="erasure")
    if kind == "restriction":
        ground = form.get("ground")
        if ground not in GROUNDS:
            raise InvalidInput("choose why processing should be restricted")
        return RestrictionBody(type="restriction", ground=ground)
    if kind == "objection":
        purposes = [p for p in form.getlist("purposes") if isinstance(p, str)]
        if not purposes:
            raise InvalidInput("choose at least one purpose to object to")
        return ObjectionBody(type="objection", purposes=purposes)
    raise InvalidInput("unknown request type")


@router.post("/requests")
async def file_request(request: Request) -> Response:
    session = person(request)
    form = await session_and_form(request, session)
    subject = session.subject or ""
    runtime = runtime_of(request)
    runtime.rights.submit(subject, _body(form), actor=Actor.subject(subject))
    return see_other("/privacy/requests")


@router.post("/export")
async def export(request: Request) -> Response:
    """The person's data as a download, recorded in the ledger first (as the API's export;
    a POST with the CSRF token, since recording it is a change)."""
    session = person(request)
    form = await session_and_form(request, session)
    kind = form.get("format", "json")
    if kind not in ("json", "csv"):
        raise InvalidInput("format is json or csv")
    runtime = runtime_of(request)
    document = await export_subject(
        runtime.rights,
        runtime.gateway,
        session.subject or "",
        purpose="portability" if kind == "csv" else "access",
    )
    if kind == "csv":
        content = await anyio.to_thread.run_sync(export_csv, document)
        media, name = "application/zip", "consentgate-export.zip"
    else:
        content = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()
        media, name = "application/json", "consentgate-export.json"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
