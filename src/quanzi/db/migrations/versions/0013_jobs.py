"""jobs: the durable job queue (jobs/queue.py)

One row per job: saq's job as JSON, its queue, function, status and when it is due. A job
written in a domain transaction commits or rolls back with it (a transactional outbox);
failed and aborted rows are the dead-letter list that `quanzi jobs` shows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=50), nullable=False),
        sa.Column("function", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled", sa.BigInteger(), nullable=False),
        sa.Column("expire_at", sa.BigInteger(), nullable=True),
        sa.Column("job", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_due", "jobs", ["queue", "status", "scheduled"])


def downgrade() -> None:
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
