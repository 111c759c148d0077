"""the group as a former member last saw it

A member who leaves or is removed is shown the group as it was at that moment (its name,
announcement, owner, size and status), not as it is later: the member row keeps those values
when they go. Former members of before this migration keep the group as it is now, the
nearest thing known.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# (member column, conversation column)
KEPT = (
    ("left_name", "name"),
    ("left_announcement", "announcement"),
    ("left_owner_id", "owner_id"),
    ("left_member_count", "member_count"),
    ("left_status", "status"),
)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("left_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("left_announcement", sa.Text(), nullable=True))
        batch.add_column(sa.Column("left_owner_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("left_member_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("left_status", sa.String(length=10), nullable=True))
    kept = ", ".join(
        f"{mine} = (SELECT c.{theirs} FROM conversations c WHERE c.id = members.conversation_id)"
        for mine, theirs in KEPT
    )
    op.execute(f"UPDATE members SET {kept} WHERE state IN ('left', 'removed')")


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for mine, _ in reversed(KEPT):
            batch.drop_column(mine)
