"""an account's likes by time (what I liked), alt text on media, topic counts by trigger

`comment_likes` gets the index `post_likes` has, (account_id, created_at), so that the list of
what an account liked (posts and comments, the latest first) reads a page of each without
scanning. `media.description` keeps an image's alt text. A topic's `post_count` is kept by
triggers on `post_topics` (one more per row linked, one less per row removed, however it is
removed), as post views are (0005): writing a post makes one statement fewer.

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

# (trigger, event, row, change)
COUNTS = (
    ("post_topics_count_up", "INSERT", "new", "+ 1"),
    ("post_topics_count_down", "DELETE", "old", "- 1"),
)


def upgrade() -> None:
    op.create_index("ix_comment_likes_account", "comment_likes", ["account_id", "created_at"])
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for trigger, event, row, change in COUNTS:
        update = f"UPDATE topics SET post_count = post_count {change} WHERE id = {row}.topic_id;"
        if sqlite:
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON post_topics BEGIN {update} END")
            continue
        op.execute(
            f"CREATE FUNCTION quanzi_{trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {update} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} ON post_topics "
            f"FOR EACH ROW EXECUTE FUNCTION quanzi_{trigger}()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for trigger, *_ in COUNTS:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON post_topics")
            op.execute(f"DROP FUNCTION IF EXISTS quanzi_{trigger}()")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("description")
    op.drop_index("ix_comment_likes_account", table_name="comment_likes")
