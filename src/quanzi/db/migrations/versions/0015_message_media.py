"""The pictures of chat records (forwarded messages merged into one)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "message_media",
        sa.Column("message_id", BIG, nullable=False),
        sa.Column("media_id", BIG, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_media_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "media_id", name=op.f("pk_message_media")),
    )
    op.create_index("ix_message_media_media", "message_media", ["media_id"])


def downgrade() -> None:
    op.drop_index("ix_message_media_media", table_name="message_media")
    op.drop_table("message_media")
