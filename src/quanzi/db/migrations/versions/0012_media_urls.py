"""signed media URLs: a version for Moment photos, group chats by their picture

A media URL works while the media is still shown with what its signature names
(domain/media/urls.py). `media.url_version` is part of a Moment photo's signature: moving it
on ends the URLs handed out before (when the author narrows who may see their Moments). For a
group picture, what shows it is a conversation whose `avatar_id` is the media: this partial
index (only groups with a picture) finds those without reading every chat.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(
            sa.Column("url_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_index(
        "ix_conversations_avatar",
        "conversations",
        ["avatar_id"],
        sqlite_where=sa.text("avatar_id IS NOT NULL"),
        postgresql_where=sa.text("avatar_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_avatar", table_name="conversations")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("url_version")
