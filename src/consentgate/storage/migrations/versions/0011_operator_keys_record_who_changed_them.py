"""operator keys record who created and who revoked them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operator_keys", schema=None) as batch_op:
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("created_by")
