"""breaches (GDPR Art. 33, 34): the breach, its affected people, its steps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discovered_us", sa.BigInteger(), nullable=False),
        sa.Column("window_start_us", sa.BigInteger(), nullable=False),
        sa.Column("window_end_us", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("severity", sa.JSON(), nullable=False),
        sa.Column("ftc", sa.JSON(), nullable=False),
        sa.Column("exposure", sa.JSON(), nullable=False),
        sa.Column("opened_us", sa.BigInteger(), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("notified_us", sa.BigInteger(), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=True),
        sa.Column("closed_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_breaches_app_id_apps")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_breaches_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breaches_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breaches_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "breach_subjects",
        sa.Column("breach_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("first_us", sa.BigInteger(), nullable=False),
        sa.Column("last_us", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breaches.id"], name=op.f("fk_breach_subjects_breach_id_breaches")
        ),
        sa.PrimaryKeyConstraint("breach_id", "subject_id", name=op.f("pk_breach_subjects")),
    )
    with op.batch_alter_table("breach_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breach_subjects_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "breach_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("breach_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breaches.id"], name=op.f("fk_breach_events_breach_id_breaches")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_breach_events")),
    )
    with op.batch_alter_table("breach_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breach_events_breach_id"), ["breach_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("breach_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_events_breach_id"))
    op.drop_table("breach_events")
    with op.batch_alter_table("breach_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_subjects_subject_id"))
    op.drop_table("breach_subjects")
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaches_incident_id"))
        batch_op.drop_index(batch_op.f("ix_breaches_app_id"))
    op.drop_table("breaches")
