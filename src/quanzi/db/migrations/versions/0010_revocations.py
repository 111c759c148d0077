"""revocations: sessions that ended, for every serving process to close their sockets

A revocation (log out, a session revoked, an account disabled, suspended or deleted) is
written in the transaction that ends the sessions; every serving process reads the new rows
every second (domain/accounts/revocations.py), so it reaches processes the event bus does not
connect (a command run beside the server on the embedded default). Rows are kept for minutes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column("id", BIG, autoincrement=False, nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("session_ids", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocations")),
    )


def downgrade() -> None:
    op.drop_table("revocations")
