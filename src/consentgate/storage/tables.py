"""The schema, as SQLAlchemy Core tables. Alembic migrations (``migrations/``) create it;
a test holds the two to the same shape. Times are integer microseconds since the epoch (UTC),
the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "app_events",
    "apps",
    "breach_events",
    "breach_subjects",
    "breaches",
    "consent_events",
    "consents",
    "decision_version",
    "ledger_checkpoints",
    "ledger_leaves",
    "ledger_nodes",
    "metadata",
    "notice_outbox",
    "notices",
    "operator_keys",
    "platform_subjects",
    "rights_request_events",
    "rights_requests",
    "server_secrets",
    "settings",
    "signing_keys",
    "subject_keys",
    "subject_states",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

apps = Table(
    "apps",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("developer", JSON, nullable=False),
    Column("purposes", JSON, nullable=False),
    Column("fields_requested", JSON, nullable=False),
    Column("fields_approved", JSON, nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("privacy_policy_url", String(2000), nullable=False),
    # apps for political_campaigning (migration 0007): {"name", "country"} and who pays
    Column("sponsor", JSON, nullable=True),
    Column("funding_statement", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret_hash", String(255), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    # where Art. 19 notices are POSTed (Standard Webhooks), and the signing secret (0007)
    Column("notification_url", String(2000), nullable=True),
    Column("notification_secret", String(200), nullable=True),
)

app_events = Table(
    "app_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("app_id", String(64), ForeignKey("apps.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    # who took the step (``Actor.ref``: operator:<key id>, system:harvest-detection ...);
    # null for events recorded before migration 0006
    Column("actor", String(128), nullable=True),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("subject_id", String(128), nullable=False),
    Column("app_id", String(64), ForeignKey("apps.id"), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("explicit", Boolean, nullable=False),
    Column("parental_consent", JSON, nullable=True),
    Column("notice_version", String(64), nullable=False),
    Column("granted_us", BigInteger, nullable=False),
    Column("renewed_us", BigInteger, nullable=True),
    Column("expires_us", BigInteger, nullable=False),
    Column("withdrawn_us", BigInteger, nullable=True),
    Column("receipt", Text, nullable=False),
    Index("ix_consents_subject_id_app_id", "subject_id", "app_id"),
    Index("ix_consents_app_id", "app_id"),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("consent_id", String(64), ForeignKey("consents.id"), nullable=False, index=True),
    Column("event", String(16), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
)

# one row (id 1): bumped by triggers on apps, consents and subject_states (migration 0010)
decision_version = Table(
    "decision_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("use", String(32), nullable=False, index=True),
    Column("private_pem", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

platform_subjects = Table(
    "platform_subjects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("birthday", Date, nullable=False),
    Column("gender", String(32), nullable=False),
    Column("current_city", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("relationship_status", String(32), nullable=False),
    Column("page_likes", JSON, nullable=False),
    Column("posts", JSON, nullable=False),
    Column("political_views", String(64), nullable=False),
    Column("religion", String(64), nullable=False),
    Column("messages", JSON, nullable=False),
    # the subject's friends as little-endian uint32 platform ids (an adjacency list)
    Column("friend_ids", LargeBinary, nullable=False),
)

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

operator_keys = Table(
    "operator_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    # SHA-256 of a 256-bit random key: a slow hash adds nothing for keys of that entropy
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("revoked_us", BigInteger, nullable=True),
    # ``Actor.ref`` of who created / revoked the key (``operator:op_…``, ``system:cli``)
    Column("created_by", String(128), nullable=True),
    Column("revoked_by", String(128), nullable=True),
)

# --- the verifiable ledger (RFC 9162 log) ------------------------------------------------

# Per-subject pseudonym keys, apart from the log (I5). Destroying a row makes the subject's
# leaves unlinkable; ``head`` is the index of the subject's latest leaf (the ``prev`` chain).
subject_keys = Table(
    "subject_keys",
    metadata,
    Column("subject_id", String(128), primary_key=True),
    Column("pseudonym_key", LargeBinary, nullable=False),
    Column("head", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
)

ledger_leaves = Table(
    "ledger_leaves",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    Column("pseudonym", String(64), nullable=False),
    Column("app_id", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_ledger_leaves_pseudonym_idx", "pseudonym", "idx"),
    Index("ix_ledger_leaves_app_id_idx", "app_id", "idx"),
)

# Hashes of every perfect subtree: level 0 are leaf hashes. Proofs read O(log n) rows.
ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),
    Column("at_us", BigInteger, nullable=False),
)

# --- harvest detection ---------------------------------------------------------------------

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("app_id", String(64), ForeignKey("apps.id"), nullable=False, index=True),
    Column("rule", String(64), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_us", BigInteger, nullable=False, index=True),
    Column("closed_us", BigInteger, nullable=True),
    Column("window_start_us", BigInteger, nullable=False),
    Column("subjects_disclosed", Integer, nullable=False),
)

# the people whose data went to the app in the incident's window (Art. 33(3), 34 notices)
incident_subjects = Table(
    "incident_subjects",
    metadata,
    Column("incident_id", String(64), ForeignKey("incidents.id"), primary_key=True),
    Column("subject_id", String(128), primary_key=True, index=True),
)

# --- data-subject rights (issue 12, migration 0007) ----------------------------------------

# a person's processing state for every app (subjects/): an Art. 18 restriction with its
# ground and request, the purposes objected to (Art. 21) with each objection's request
subject_states = Table(
    "subject_states",
    metadata,
    Column("subject_id", String(128), primary_key=True),
    Column("restriction_ground", String(32), nullable=True),
    Column("restriction_request", String(64), nullable=True),
    Column("objections", JSON, nullable=False),  # {"<purpose>": "<request id>"}
    Column("updated_us", BigInteger, nullable=False),
)

# rights requests (rights/) and their history, oldest first
rights_requests = Table(
    "rights_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("subject_id", String(128), nullable=False, index=True),
    Column("type", String(16), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("received_us", BigInteger, nullable=False),
    Column("due_us", BigInteger, nullable=False),
    Column("extended_due_us", BigInteger, nullable=True),
    Column("extension_reason", Text, nullable=True),
    Column("closed_us", BigInteger, nullable=True),
    Column("rejection_reason", Text, nullable=True),
    Column("details", JSON, nullable=False),
    Column("country", String(2), nullable=True),
    Column("verified_by", String(200), nullable=True),
    Column("created_by", String(128), nullable=False),  # ``Actor.ref``
    Column("step", String(32), nullable=True),  # the last erasure step done
    Column("updated_us", BigInteger, nullable=False),
)

rights_request_events = Table(
    "rights_request_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("request_id", String(64), ForeignKey("rights_requests.id"), nullable=False, index=True),
    Column("at_us", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("actor", String(128), nullable=False),
)

# Art. 19 notices to recipients (notices/): one per (request, app), and the outbox their
# deliveries are claimed from (a row per notice to an app with a notification_url)
notices = Table(
    "notices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("app_id", String(64), ForeignKey("apps.id"), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("subject", String(128), nullable=False),  # the app-scoped id, never the platform's
    Column("fields", JSON, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("ack_due_us", BigInteger, nullable=False),
    Column("acknowledged_us", BigInteger, nullable=True),
    Column("notified_us", BigInteger, nullable=True),
    Column("enforced_us", BigInteger, nullable=True),  # when its app was suspended for it
    UniqueConstraint("request_id", "app_id"),
    Index("ix_notices_app_id_id", "app_id", "id"),
    Index("ix_notices_ack_due_us", "ack_due_us"),
)

notice_outbox = Table(
    "notice_outbox",
    metadata,
    Column("notice_id", String(64), ForeignKey("notices.id"), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until_us", BigInteger, nullable=True),
    Column("done_us", BigInteger, nullable=True),  # delivered, acknowledged or given up
    Column("last_error", String(200), nullable=True),
    Index("ix_notice_outbox_done_us_next_attempt_us", "done_us", "next_attempt_us"),
)

# --- breaches (GDPR Art. 33, 34) -------------------------------------------------------------

breaches = Table(
    "breaches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("incident_id", String(64), ForeignKey("incidents.id"), nullable=True, index=True),
    Column("app_id", String(64), ForeignKey("apps.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("discovered_us", BigInteger, nullable=False),
    Column("window_start_us", BigInteger, nullable=False),
    Column("window_end_us", BigInteger, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("severity", JSON, nullable=False),
    Column("ftc", JSON, nullable=False),
    Column("exposure", JSON, nullable=False),
    Column("opened_us", BigInteger, nullable=False),
    Column("opened_by", String(128), nullable=False),
    Column("notified_us", BigInteger, nullable=True),
    Column("authority", String(200), nullable=True),
    Column("reference", String(200), nullable=True),
    Column("late_reason", Text, nullable=True),
    Column("assessment", JSON, nullable=True),
    Column("closed_us", BigInteger, nullable=True),
)

# the affected people still linkable, for the Art. 34 notices (erasure takes a person off)
breach_subjects = Table(
    "breach_subjects",
    metadata,
    Column("breach_id", String(64), ForeignKey("breaches.id"), primary_key=True),
    Column("subject_id", String(128), primary_key=True, index=True),
    Column("fields", JSON, nullable=False),
    Column("first_us", BigInteger, nullable=False),
    Column("last_us", BigInteger, nullable=False),
    Column("records", Integer, nullable=False),
    Column("country", String(2), nullable=False),
)

# every step of a breach and who took it (``Actor.ref``)
breach_events = Table(
    "breach_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("breach_id", String(64), ForeignKey("breaches.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
)
