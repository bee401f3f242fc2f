"""decision_version: one counter the database bumps on every change to what a read's
decision depends on (apps, consents, subject_states), so a server process may keep that
state in memory and know, with one primary-key read per request, whether it is still true
(gateway/hot.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WATCHED = ("apps", "consents", "subject_states")
BUMP = "UPDATE decision_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "decision_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO decision_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_decision_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:  # once per statement, whatever the number of rows
            op.execute(
                f"CREATE TRIGGER {table}_bump_decision_version"
                f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION bump_decision_version()"
            )
        return
    for table in WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_bumps_decision_version"
                f" AFTER {event} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_bump_decision_version ON {table}")
        op.execute("DROP FUNCTION bump_decision_version()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{event}_bumps_decision_version")
    op.drop_table("decision_version")
