"""follows: the other account in both indexes

The home timeline and the fan-out of a new post read who someone follows, or who follows
them, for hundreds to hundreds of thousands of follows at a time. With the other account's id
in the index, those reads stay in the index instead of reading every follow's row (on a world
of 2,000,000 follows: 0.05 ms instead of 1.5 ms for 200 follows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 15:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_follower")
        batch_op.drop_index("ix_follows_followee")
        batch_op.create_index(
            "ix_follows_follower", ["follower_id", "status", "id", "followee_id"], unique=False
        )
        batch_op.create_index(
            "ix_follows_followee", ["followee_id", "status", "id", "follower_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_followee")
        batch_op.drop_index("ix_follows_follower")
        batch_op.create_index("ix_follows_followee", ["followee_id", "status", "id"], unique=False)
        batch_op.create_index("ix_follows_follower", ["follower_id", "status", "id"], unique=False)
