"""The disclosure ledger (a room; tables ``subject_keys``, ``ledger_leaves``,
``ledger_nodes``, ``ledger_checkpoints``): an RFC 9162 Merkle tree of pseudonymous leaves
with C2SP signed checkpoints, kept in SQL (``SqlLedger``) or in memory (``MemoryLedger``),
both behind ``LedgerStore``; proofs, verification from published material, and the
questions rights and breach ask of it (``disclosures_of``, ``recipients_of``, ``scope``,
``usage``)."""

from consentgate.ledger.checkpoint import Checkpoint, open_checkpoint
from consentgate.ledger.leaves import PLATFORM_APP, Entry, Leaf, country_code
from consentgate.ledger.memory import MemoryLedger
from consentgate.ledger.merkle import leaf_hash, root_from_range
from consentgate.ledger.note import NoteVerifier
from consentgate.ledger.protocol import (
    Disclosure,
    Disclosures,
    InclusionProof,
    LedgerStore,
    Recipient,
    Scope,
    ScopedPerson,
    StoredLeaf,
    Usage,
)
from consentgate.ledger.reports import ScopeTally, daily_disclosures
from consentgate.ledger.store import SqlLedger, open_ledger, stored_verifier

__all__ = [
    "PLATFORM_APP",
    "Checkpoint",
    "Disclosure",
    "Disclosures",
    "Entry",
    "InclusionProof",
    "Leaf",
    "LedgerStore",
    "MemoryLedger",
    "NoteVerifier",
    "Recipient",
    "Scope",
    "ScopeTally",
    "ScopedPerson",
    "SqlLedger",
    "StoredLeaf",
    "Usage",
    "country_code",
    "daily_disclosures",
    "leaf_hash",
    "open_checkpoint",
    "open_ledger",
    "root_from_range",
    "stored_verifier",
]
