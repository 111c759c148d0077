"""OAuth apps, codes and app tokens; sessions given to apps; markers; a post's language

The Mastodon-compatible door (api/mastodon/) lets client apps act for a person through OAuth 2:
an app registers (oauth_apps), the person consents (oauth_codes), the app gets a token, which is
an auth_sessions row that names the app and the scopes it was granted.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import quanzi.db.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = quanzi.db.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column("id", BIG, autoincrement=False, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_apps_client_id")),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("app_id", BIG, nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("code_challenge", sa.String(length=200), nullable=True),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_oauth_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_codes_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oauth_codes")),
    )
    op.create_index(op.f("ix_oauth_codes_app_id"), "oauth_codes", ["app_id"])
    op.create_table(
        "oauth_app_tokens",
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("app_id", BIG, nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["oauth_apps.id"],
            name=op.f("fk_oauth_app_tokens_app_id_oauth_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oauth_app_tokens")),
    )
    op.create_index(op.f("ix_oauth_app_tokens_app_id"), "oauth_app_tokens", ["app_id"])
    op.create_table(
        "markers",
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("timeline", sa.String(length=20), nullable=False),
        sa.Column("last_read_id", BIG, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_markers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "timeline", name=op.f("pk_markers")),
    )
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("app_id", BIG, nullable=True))
        batch.add_column(sa.Column("scopes", sa.String(length=1000), nullable=True))
        batch.create_foreign_key(
            op.f("fk_auth_sessions_app_id_oauth_apps"),
            "oauth_apps",
            ["app_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_auth_sessions_app_id"), ["app_id"])
    op.add_column("posts", sa.Column("language", sa.String(length=16), nullable=True))
    # How many posts an account has, kept with each post written or deleted (profiles show it;
    # counting the rows for every account on a page would cost more than the page).
    op.add_column(
        "accounts",
        sa.Column("post_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "UPDATE accounts SET post_count = (SELECT count(*) FROM posts "
        "WHERE posts.author_id = accounts.id AND posts.deleted_at IS NULL)"
    )
    # A mention in a chat is a kind of its own, so that a door that shows only the square's
    # notifications (the Mastodon API) can leave chats out by kind.
    op.execute(
        "UPDATE notifications SET kind = 'chat_mention' "
        "WHERE kind = 'mention' AND data LIKE '%conversation_id%'"
    )


def downgrade() -> None:
    op.execute("UPDATE notifications SET kind = 'mention' WHERE kind = 'chat_mention'")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("post_count")
    op.drop_column("posts", "language")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_index(op.f("ix_auth_sessions_app_id"))
        batch.drop_constraint(op.f("fk_auth_sessions_app_id_oauth_apps"), type_="foreignkey")
        batch.drop_column("scopes")
        batch.drop_column("app_id")
    op.drop_table("markers")
    op.drop_index(op.f("ix_oauth_app_tokens_app_id"), table_name="oauth_app_tokens")
    op.drop_table("oauth_app_tokens")
    op.drop_index(op.f("ix_oauth_codes_app_id"), table_name="oauth_codes")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_apps")
