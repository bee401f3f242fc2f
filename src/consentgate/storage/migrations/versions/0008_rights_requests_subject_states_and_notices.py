"""rights requests, subject states, notices and their outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:44:26.160445
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_us", sa.BigInteger(), nullable=False),
        sa.Column("due_us", sa.BigInteger(), nullable=False),
        sa.Column("extended_due_us", sa.BigInteger(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("closed_us", sa.BigInteger(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("verified_by", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    with op.batch_alter_table("rights_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_requests_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rights_requests_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "subject_states",
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("restriction_ground", sa.String(length=32), nullable=True),
        sa.Column("restriction_request", sa.String(length=64), nullable=True),
        sa.Column("objections", sa.JSON(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_states")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("ack_due_us", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_us", sa.BigInteger(), nullable=True),
        sa.Column("notified_us", sa.BigInteger(), nullable=True),
        sa.Column("enforced_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_notices_app_id_apps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("request_id", "app_id", name=op.f("uq_notices_request_id_app_id")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_ack_due_us", ["ack_due_us"], unique=False)
        batch_op.create_index("ix_notices_app_id_id", ["app_id", "id"], unique=False)

    op.create_table(
        "rights_request_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_request_events_request_id_rights_requests"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_rights_request_events")),
    )
    with op.batch_alter_table("rights_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rights_request_events_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "notice_outbox",
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until_us", sa.BigInteger(), nullable=True),
        sa.Column("done_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_outbox_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_notice_outbox")),
    )
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_outbox_done_us_next_attempt_us", ["done_us", "next_attempt_us"], unique=False
        )

    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notification_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("notification_secret", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("notification_secret")
        batch_op.drop_column("notification_url")

    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_outbox_done_us_next_attempt_us")

    op.drop_table("notice_outbox")
    with op.batch_alter_table("rights_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_request_events_request_id"))

    op.drop_table("rights_request_events")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_app_id_id")
        batch_op.drop_index("ix_notices_ack_due_us")

    op.drop_table("notices")
    op.drop_table("subject_states")
    with op.batch_alter_table("rights_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_requests_subject_id"))
        batch_op.drop_index(batch_op.f("ix_rights_requests_status"))

    op.drop_table("rights_requests")
