"""incidents of harvest detection

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:08:22.865858
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_us", sa.BigInteger(), nullable=True),
        sa.Column("window_start_us", sa.BigInteger(), nullable=False),
        sa.Column("subjects_disclosed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_incidents_app_id_apps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_opened_us"), ["opened_us"], unique=False)

    op.create_table(
        "incident_subjects",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_subjects_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "subject_id", name=op.f("pk_incident_subjects")),
    )
    with op.batch_alter_table("incident_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_subjects_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_subjects_subject_id"))

    op.drop_table("incident_subjects")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_opened_us"))
        batch_op.drop_index(batch_op.f("ix_incidents_app_id"))

    op.drop_table("incidents")
