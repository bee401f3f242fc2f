"""ledger replaces the plain disclosure table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:07:25.525550
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosures_app_id_seq"))
        batch_op.drop_index(batch_op.f("ix_disclosures_subject_id_seq"))

    op.drop_table("disclosures")


def downgrade() -> None:

    op.create_table(
        "disclosures",
        sa.Column("seq", sa.INTEGER(), nullable=False),
        sa.Column("at_us", sa.BIGINT(), nullable=False),
        sa.Column("app_id", sa.VARCHAR(length=64), nullable=False),
        sa.Column("subject_id", sa.VARCHAR(length=128), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.VARCHAR(length=64), nullable=False),
        sa.Column("consent_ids", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.VARCHAR(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_disclosures")),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosures_subject_id_seq"), ["subject_id", "seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosures_app_id_seq"), ["app_id", "seq"], unique=False
        )
