"""The one exception tree of consentgate.

Every failure the library reports is a ``ConsentGateError`` with a stable ``code`` (part of the
HTTP and CLI contracts) and the ``http_status`` the API answers with. Messages name ids and
field names, never personal-data values.

::

    ConsentGateError                 code                http
    ├── InvalidInput                 BAD_REQUEST          400
    │   ├── UnknownField             UNKNOWN_FIELD        400
    │   ├── UnknownPurpose           UNKNOWN_PURPOSE      400
    │   ├── FieldNotRectifiable      FIELD_NOT_RECTIFIABLE 400 (the catalog does not allow it)
    │   └── ProofError               INVALID_PROOF        400  (cannot exist, or fails)
    ├── CatalogInvalid               CATALOG_INVALID      400  (a broken catalog file)
    ├── SourceInvalid                SOURCE_INVALID       400  (a broken source mapping file)
    ├── NotFound                     NOT_FOUND            404
    │   ├── AppNotFound
    │   ├── ConsentNotFound
    │   ├── IncidentNotFound
    │   ├── BreachNotFound
    │   ├── NoticeNotFound
    │   ├── RequestNotFound
    │   └── SubjectNotFound
    ├── Conflict                     CONFLICT             409
    │   ├── InvalidTransition        INVALID_TRANSITION   409  (a lifecycle step out of order)
    │   ├── AlreadyExists            ALREADY_EXISTS       409
    │   └── SourceReadOnly           SOURCE_READ_ONLY     409  (the source cannot rectify / erase)
    ├── GrantRefused                 <decision reason>    403  (a grant that could never be valid)
    ├── AccessDenied                 <decision reason>    403  (a read that may release nothing)
    ├── Unauthenticated              UNAUTHENTICATED      401  (no or unreadable credentials)
    ├── InvalidToken                 INVALID_TOKEN        401  (bad signature, expired, wrong kind)
    ├── Forbidden                    FORBIDDEN            403  (the role lacks the right)
    ├── BodyTooLarge                 BODY_TOO_LARGE       413
    ├── StorageUnavailable           STORAGE_UNAVAILABLE  503
    │   ├── DatabaseMissing          DATABASE_MISSING     503  (no consentgate database there)
    │   └── MasterKeyInvalid         MASTER_KEY_INVALID   503  (the stored keys do not open)
    ├── KeysUnavailable              KEYS_UNAVAILABLE     503  (the platform's JWKS is unreachable)
    ├── LedgerUnavailable            LEDGER_UNAVAILABLE   503  (a disclosure could not be recorded)
    └── LedgerDamaged                LEDGER_DAMAGED       503  (a stored node is missing)
        ├── CheckpointError          CHECKPOINT_INVALID   503  (malformed, or another key's)
        └── NoteError                NOTE_INVALID         503  (malformed, or a bad signature)

A proof the caller asked for that cannot exist (an index outside the tree, a size beyond the
latest published checkpoint) is the caller's mistake: ``ProofError``, 400. A stored ledger
that does not check out (a node missing, checkpoints that do not open under the configured
key and origin) is the operator's: ``LedgerDamaged`` and its subclasses, 503, logged by the
API. The ledger modules raise these classes and re-export them.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDenied",
    "AlreadyExists",
    "AppNotFound",
    "BodyTooLarge",
    "BreachNotFound",
    "CatalogInvalid",
    "CheckpointError",
    "Conflict",
    "ConsentGateError",
    "ConsentNotFound",
    "DatabaseMissing",
    "FieldNotRectifiable",
    "Forbidden",
    "GrantRefused",
    "IncidentNotFound",
    "InvalidInput",
    "InvalidToken",
    "InvalidTransition",
    "KeysUnavailable",
    "LedgerDamaged",
    "LedgerUnavailable",
    "MasterKeyInvalid",
    "NotFound",
    "NoteError",
    "NoticeNotFound",
    "ProofError",
    "RequestNotFound",
    "SourceInvalid",
    "SourceReadOnly",
    "StorageUnavailable",
    "SubjectNotFound",
    "Unauthenticated",
    "UnknownField",
    "UnknownPurpose",
]


class ConsentGateError(Exception):
    """Root of every error consentgate raises on purpose."""

    code: ClassVar[str] = "ERROR"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error_code(self) -> str:
        """The stable code for this instance (subclasses may vary it per instance)."""
        return self.code


class InvalidInput(ConsentGateError):
    code = "BAD_REQUEST"
    http_status = 400


class UnknownField(InvalidInput):
    code = "UNKNOWN_FIELD"

    def __init__(self, field: str) -> None:
        super().__init__(f"unknown field {field!r}: use a field name from the catalog")
        self.field = field


class UnknownPurpose(InvalidInput):
    code = "UNKNOWN_PURPOSE"

    def __init__(self, purpose: str) -> None:
        super().__init__(f"unknown purpose {purpose!r}: use a purpose id from the catalog")
        self.purpose = purpose


class FieldNotRectifiable(InvalidInput):
    code = "FIELD_NOT_RECTIFIABLE"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"field {field!r} cannot be rectified: the catalog marks only some fields "
            "rectifiable (GET /v1/rights/capabilities lists them)"
        )
        self.field = field


class ProofError(InvalidInput):
    """A proof that does not verify, or a request for one that cannot exist."""

    code = "INVALID_PROOF"


class CatalogInvalid(ConsentGateError):
    code = "CATALOG_INVALID"
    http_status = 400

    def __init__(self, source: str, entry: str, problem: str) -> None:
        super().__init__(f"catalog {source}: entry {entry}: {problem}")
        self.source = source
        self.entry = entry
        self.problem = problem


class SourceInvalid(ConsentGateError):
    """A source mapping file (``CONSENTGATE_SOURCE``) that cannot be used as it stands."""

    code = "SOURCE_INVALID"
    http_status = 400

    def __init__(self, source: str, entry: str, problem: str) -> None:
        super().__init__(f"source mapping {source}: entry {entry}: {problem}")
        self.source = source
        self.entry = entry
        self.problem = problem


class NotFound(ConsentGateError):
    code = "NOT_FOUND"
    http_status = 404


class AppNotFound(NotFound):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"no app with id {app_id!r}: list apps with `consentgate apps list`")
        self.app_id = app_id


class ConsentNotFound(NotFound):
    def __init__(self, consent_id: str) -> None:
        super().__init__(f"no consent with id {consent_id!r} for this subject")
        self.consent_id = consent_id


class IncidentNotFound(NotFound):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"no incident with id {incident_id!r}: list them at /v1/incidents")
        self.incident_id = incident_id


class BreachNotFound(NotFound):
    def __init__(self, breach_id: str) -> None:
        super().__init__(f"no breach with id {breach_id!r}: list them at /v1/breaches")
        self.breach_id = breach_id


class RequestNotFound(NotFound):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no rights request with id {request_id!r}")
        self.request_id = request_id


class NoticeNotFound(NotFound):
    def __init__(self, notice_id: str) -> None:
        super().__init__(f"no notice with id {notice_id!r} for this app")
        self.notice_id = notice_id


class SubjectNotFound(NotFound):
    def __init__(self, subject_id: str) -> None:
        super().__init__(f"no subject with id {subject_id!r} on the platform")
        self.subject_id = subject_id


class Conflict(ConsentGateError):
    code = "CONFLICT"
    http_status = 409


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"


class AlreadyExists(Conflict):
    code = "ALREADY_EXISTS"


class SourceReadOnly(Conflict):
    """The platform's source cannot do what a request needs (no ``rectify`` / ``erase``
    statement configured): the request is refused, never silently completed."""

    code = "SOURCE_READ_ONLY"

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"this platform's source cannot {operation}: the integrator must configure "
            f"its {operation!r} write (docs/rights.md); the request was not created"
        )
        self.operation = operation


class GrantRefused(ConsentGateError):
    """A consent grant that could never be valid; ``reason`` is a decision reason code."""

    http_status = 403

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def error_code(self) -> str:
        return self.reason


class StorageUnavailable(ConsentGateError):
    code = "STORAGE_UNAVAILABLE"
    http_status = 503


class DatabaseMissing(StorageUnavailable):
    """A command that only uses a database found none where it looked (only ``init`` and
    ``serve`` create one)."""

    code = "DATABASE_MISSING"


class MasterKeyInvalid(StorageUnavailable):
    """The master key is malformed, or does not open the keys stored in the database."""

    code = "MASTER_KEY_INVALID"


class AccessDenied(ConsentGateError):
    """Nothing of a read may be released; ``reason`` is the decision's reason code and
    ``withheld`` the reason for each requested field."""

    http_status = 403

    def __init__(self, reason: str, withheld: dict[str, str], message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.withheld = withheld

    @property
    def error_code(self) -> str:
        return self.reason


class Unauthenticated(ConsentGateError):
    code = "UNAUTHENTICATED"
    http_status = 401


class InvalidToken(ConsentGateError):
    code = "INVALID_TOKEN"
    http_status = 401


class Forbidden(ConsentGateError):
    code = "FORBIDDEN"
    http_status = 403


class BodyTooLarge(ConsentGateError):
    code = "BODY_TOO_LARGE"
    http_status = 413


class LedgerUnavailable(ConsentGateError):
    code = "LEDGER_UNAVAILABLE"
    http_status = 503


class KeysUnavailable(ConsentGateError):
    code = "KEYS_UNAVAILABLE"
    http_status = 503


class LedgerDamaged(ConsentGateError):
    """The stored ledger does not check out (a node a proof or an integration needs is
    missing): nothing is answered from it until an operator repairs it."""

    code = "LEDGER_DAMAGED"
    http_status = 503


class CheckpointError(LedgerDamaged):
    """A checkpoint that is malformed or not signed by the expected key (served from the
    store: the stored ledger does not match the configured key and origin)."""

    code = "CHECKPOINT_INVALID"


class NoteError(LedgerDamaged):
    """A malformed note or key, or a signature that does not verify."""

    code = "NOTE_INVALID"
