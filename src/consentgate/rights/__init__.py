"""Data subjects' rights (a service over the rooms; tables ``rights_requests`` and
``rights_request_events``): requests and their deadlines (``service.Rights``), erasure as
one resumable orchestration (``erasure``), the person's export (``export``), Art. 19
notices of each step (``notify``)."""

from consentgate.rights.erasure import (
    ERASURE_APP,
    STEPS,
    ShredResult,
    resume_erasures,
    run_erasure,
    shred_subject,
)
from consentgate.rights.export import disclosure_object, export_csv, export_subject
from consentgate.rights.models import (
    AccessBody,
    ErasureBody,
    ObjectionBody,
    OperatorRequestBody,
    PortabilityBody,
    RectificationBody,
    RequestBody,
    RequestEvent,
    RequestStatus,
    RequestType,
    RestrictionBody,
    RightsRequest,
)
from consentgate.rights.service import Rights
from consentgate.rights.store import (
    MemoryRequestStore,
    RequestStore,
    SqlRequestStore,
    open_request_store,
)

__all__ = [
    "ERASURE_APP",
    "STEPS",
    "AccessBody",
    "ErasureBody",
    "MemoryRequestStore",
    "ObjectionBody",
    "OperatorRequestBody",
    "PortabilityBody",
    "RectificationBody",
    "RequestBody",
    "RequestEvent",
    "RequestStatus",
    "RequestStore",
    "RequestType",
    "RestrictionBody",
    "Rights",
    "RightsRequest",
    "ShredResult",
    "SqlRequestStore",
    "disclosure_object",
    "export_csv",
    "export_subject",
    "open_request_store",
    "resume_erasures",
    "run_erasure",
    "shred_subject",
]
