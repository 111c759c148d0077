"""media attached to nothing, by age: the index the media sweeper reads

Media goes back to belonging to nothing when its post, Moment, message or avatar is deleted,
recalled or replaced; the sweeper (domain/media/sweep.py) erases such media once it is old
enough, and finds it through this partial index without reading the rest of the table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_media_unattached",
        "media",
        ["created_at"],
        sqlite_where=sa.text("attached_to IS NULL"),
        postgresql_where=sa.text("attached_to IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_media_unattached", table_name="media")
