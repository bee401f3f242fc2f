"""The person's copy of their data (GDPR Art. 15 access, Art. 20 portability):
``GET /v1/me/export`` as JSON, or as a zip of one CSV per section.

The copy carries personal data, so it is recorded before it leaves (I2): the gateway
appends an ``access`` leaf to the platform itself (``PLATFORM_APP``) through the group
commit, naming the fields exported — it appears among the person's ledger entries (the
export lists it too) and never among the recipients. The ledger part (every leaf of the
person with its proof, the recipients) is read on one connection, the apps' names and
developers in one query: no query per disclosure.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
import zipfile
from datetime import datetime
from typing import Any

import anyio.to_thread

from consentgate.clock import from_micros, rfc3339, utc_now
from consentgate.gateway import Gateway
from consentgate.ledger import PLATFORM_APP, Disclosure
from consentgate.rights.notify import recipients_view
from consentgate.rights.service import Rights

__all__ = ["PLATFORM_NAME", "disclosure_object", "export_csv", "export_subject"]

PLATFORM_NAME = "the platform (your own copy)"


def disclosure_object(item: Disclosure, checkpoint: str | None) -> dict[str, Any]:
    """A ledger entry as ``/v1/me/disclosures`` lists it."""
    return {
        "index": item.index,
        "type": item.leaf.kind,
        "app_id": item.leaf.app,
        "fields": list(item.leaf.fields),
        "purpose": item.leaf.purpose,
        "time": from_micros(item.leaf.ts_ms * 1000).isoformat(),
        "request_id": item.leaf.req,
        "leaf": base64.b64encode(item.data).decode(),
        "proof": None
        if item.proof is None
        else {"size": item.proof.size, "hashes": [h.hex() for h in item.proof.hashes]},
        "checkpoint": None if item.proof is None else checkpoint,
    }


async def export_subject(
    rights: Rights,
    gateway: Gateway,
    subject_id: str,
    *,
    purpose: str = "access",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The export document of ``subject_id`` (recorded in the ledger first)."""
    moment = now or utc_now()
    fields = list(rights.catalog.fields)
    record = await anyio.to_thread.run_sync(
        lambda: rights.source.fetch([subject_id], fields).get(subject_id) or {}
    )
    held = {name: record[name] for name in fields if name in record}
    await gateway.record_export(
        subject_id=subject_id,
        fields=list(held),
        purpose=purpose,
        request_id="req_export_" + secrets.token_urlsafe(9),
        now=moment,
    )
    document = await anyio.to_thread.run_sync(lambda: _document(rights, subject_id))
    return {"generated_at": rfc3339(moment), "subject": held, **document}


def _document(rights: Rights, subject_id: str) -> dict[str, Any]:
    stores = rights.stores
    with stores.reading() as read:  # the ledger part on one connection
        found = read.ledger.disclosures_of(subject_id)
        recipients = read.ledger.recipients_of(subject_id)
    apps = stores.apps.many({r.app_id for r in recipients} | {d.leaf.app for d in found.items})
    names = {app_id: app.name for app_id, app in apps.items()} | {PLATFORM_APP: PLATFORM_NAME}
    consents = []
    after = None
    while True:
        page = stores.consents.page(subject_id=subject_id, after=after, limit=1000)
        consents += [c.as_dict() for c in page]
        if len(page) < 1000:
            break
        after = page[-1].id
    requests = rights.requests.page(subject_id=subject_id, limit=1000)
    return {
        "consents": consents,
        "disclosures": [
            disclosure_object(item, found.checkpoint) | {"app_name": names.get(item.leaf.app)}
            for item in found.items
        ],
        "recipients": [
            {
                "app_id": r.app_id,
                "name": names.get(r.app_id),
                "developer": None
                if r.app_id not in apps
                else apps[r.app_id].developer.model_dump(),
                "purposes": list(r.purposes),
                "fields": list(r.fields),
                "first_at": rfc3339(r.first_at),
                "last_at": rfc3339(r.last_at),
                "disclosures": r.disclosures,
            }
            for r in recipients
        ],
        "requests": [r.as_dict(recipients=recipients_view(stores, r)) for r in requests],
        "checkpoint": found.checkpoint,
        "chain_head": found.chain_head,
    }


_SECTIONS: dict[str, tuple[str, ...]] = {
    "consents": (
        "id",
        "app_id",
        "purpose",
        "fields",
        "explicit",
        "granted_at",
        "expires_at",
        "withdrawn_at",
        "receipt",
    ),
    "disclosures": (
        "index",
        "type",
        "app_id",
        "app_name",
        "fields",
        "purpose",
        "time",
        "request_id",
        "leaf",
        "proof",
        "checkpoint",
    ),
    "recipients": (
        "app_id",
        "name",
        "developer",
        "purposes",
        "fields",
        "first_at",
        "last_at",
        "disclosures",
    ),
    "requests": ("id", "type", "status", "received_at", "due_at", "extended_due_at", "closed_at"),
}


def export_csv(document: dict[str, Any]) -> bytes:
    """The export as ``application/zip``: ``subject.csv`` (field, value), one CSV per list
    section (lists joined with ``;``, objects as JSON) and ``checkpoint.csv``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "subject.csv",
            _csv(
                ("field", "value"),
                [{"field": k, "value": v} for k, v in document["subject"].items()],
            ),
        )
        for section, columns in _SECTIONS.items():
            archive.writestr(f"{section}.csv", _csv(columns, document[section]))
        archive.writestr(
            "checkpoint.csv",
            _csv(
                ("checkpoint", "chain_head", "generated_at"),
                [
                    {
                        "checkpoint": document["checkpoint"],
                        "chain_head": document["chain_head"],
                        "generated_at": document["generated_at"],
                    }
                ],
            ),
        )
    return buffer.getvalue()


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)
