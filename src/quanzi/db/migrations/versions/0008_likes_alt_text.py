"""an account's likes by time (what I liked), and alt text on media

`comment_likes` gets the index `post_likes` has, (account_id, created_at), so that the list of
what an account liked (posts and comments, the latest first) reads a page of each without
scanning. `media.description` keeps an image's alt text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_comment_likes_account", "comment_likes", ["account_id", "created_at"])
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("description")
    op.drop_index("ix_comment_likes_account", table_name="comment_likes")
