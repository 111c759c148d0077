"""square, moments and search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:02:46.518828
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import quanzi.db.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("key", name=op.f("uq_communities_key")),
    )
    op.create_table(
        "post_views",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "viewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "viewer_id", "day", name=op.f("pk_post_views")),
    )
    op.create_table(
        "topics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("key", name=op.f("uq_topics_key")),
    )
    op.create_table(
        "trending_topics",
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("refreshed_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rank", name=op.f("pk_trending_topics")),
    )
    op.create_table(
        "community_members",
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("joined_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_members_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "account_id", name=op.f("pk_community_members")),
        sa.UniqueConstraint(
            "account_id", "community_id", name=op.f("uq_community_members_account_id_community_id")
        ),
    )
    op.create_table(
        "moments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("media_ids", sa.Text(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_moments_author_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moments")),
    )
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.create_index("ix_moments_author", ["author_id", "id"], unique=False)

    op.create_table(
        "posts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("search_tokens", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("root_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("removed_from_community", sa.Boolean(), nullable=False),
        sa.Column("media_ids", sa.Text(), nullable=False),
        sa.Column("repost_count", sa.Integer(), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_posts_author_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_author", ["author_id", "id"], unique=False)
        batch_op.create_index("ix_posts_community", ["community_id", "id"], unique=False)
        batch_op.create_index("ix_posts_public", ["visibility", "id"], unique=False)
        batch_op.create_index("ix_posts_root", ["root_id"], unique=False)

    op.create_table(
        "topic_events",
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_topic_events_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "account_id", "window", name=op.f("pk_topic_events")),
    )
    with op.batch_alter_table("topic_events", schema=None) as batch_op:
        batch_op.create_index("ix_topic_events_window", ["window", "topic_id"], unique=False)

    op.create_table(
        "comments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "reply_to_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "reply_to_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("like_count", sa.Integer(), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_post", ["post_id", "thread_id", "id"], unique=False)
        batch_op.create_index("ix_comments_thread", ["thread_id", "id"], unique=False)

    op.create_table(
        "moment_audience",
        sa.Column(
            "moment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ref_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_audience_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "kind", "ref_id", name=op.f("pk_moment_audience")),
    )
    op.create_table(
        "moment_comments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "moment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "reply_to_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "reply_to_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_comments_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moment_comments")),
    )
    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.create_index("ix_moment_comments_moment", ["moment_id", "id"], unique=False)

    op.create_table(
        "moment_likes",
        sa.Column(
            "moment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_likes_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "account_id", name=op.f("pk_moment_likes")),
    )
    op.create_table(
        "moment_media",
        sa.Column(
            "moment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("media_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["moments.id"],
            name=op.f("fk_moment_media_moment_id_moments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("moment_id", "media_id", name=op.f("pk_moment_media")),
    )
    with op.batch_alter_table("moment_media", schema=None) as batch_op:
        batch_op.create_index("ix_moment_media_media", ["media_id"], unique=False)

    op.create_table(
        "post_edits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_ids", sa.Text(), nullable=False),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_edits_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_edits")),
    )
    with op.batch_alter_table("post_edits", schema=None) as batch_op:
        batch_op.create_index("ix_post_edits_post", ["post_id", "id"], unique=False)

    op.create_table(
        "post_likes",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_likes_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "account_id", name=op.f("pk_post_likes")),
    )
    with op.batch_alter_table("post_likes", schema=None) as batch_op:
        batch_op.create_index("ix_post_likes_account", ["account_id", "created_at"], unique=False)

    op.create_table(
        "post_media",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("media_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_media_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "media_id", name=op.f("pk_post_media")),
    )
    with op.batch_alter_table("post_media", schema=None) as batch_op:
        batch_op.create_index("ix_post_media_media", ["media_id"], unique=False)

    op.create_table(
        "post_mentions",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_mentions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "account_id", name=op.f("pk_post_mentions")),
    )
    with op.batch_alter_table("post_mentions", schema=None) as batch_op:
        batch_op.create_index("ix_post_mentions_account", ["account_id", "post_id"], unique=False)

    op.create_table(
        "post_topics",
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_topics_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_post_topics_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "post_id", name=op.f("pk_post_topics")),
    )
    with op.batch_alter_table("post_topics", schema=None) as batch_op:
        batch_op.create_index("ix_post_topics_post", ["post_id"], unique=False)

    op.create_table(
        "comment_likes",
        sa.Column(
            "comment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", quanzi.db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_likes_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("comment_id", "account_id", name=op.f("pk_comment_likes")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("moments_window", sa.String(length=5), nullable=False, server_default="all")
        )
        batch_op.add_column(
            sa.Column("search_tokens", sa.Text(), nullable=False, server_default="")
        )

    _index_existing_accounts()
    _create_full_text()


def downgrade() -> None:
    _drop_full_text()
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("search_tokens")
        batch_op.drop_column("moments_window")

    op.drop_table("comment_likes")
    with op.batch_alter_table("post_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_post_topics_post")

    op.drop_table("post_topics")
    with op.batch_alter_table("post_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_post_mentions_account")

    op.drop_table("post_mentions")
    with op.batch_alter_table("post_media", schema=None) as batch_op:
        batch_op.drop_index("ix_post_media_media")

    op.drop_table("post_media")
    with op.batch_alter_table("post_likes", schema=None) as batch_op:
        batch_op.drop_index("ix_post_likes_account")

    op.drop_table("post_likes")
    with op.batch_alter_table("post_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_post_edits_post")

    op.drop_table("post_edits")
    with op.batch_alter_table("moment_media", schema=None) as batch_op:
        batch_op.drop_index("ix_moment_media_media")

    op.drop_table("moment_media")
    op.drop_table("moment_likes")
    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_moment_comments_moment")

    op.drop_table("moment_comments")
    op.drop_table("moment_audience")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_thread")
        batch_op.drop_index("ix_comments_post")

    op.drop_table("comments")
    with op.batch_alter_table("topic_events", schema=None) as batch_op:
        batch_op.drop_index("ix_topic_events_window")

    op.drop_table("topic_events")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_root")
        batch_op.drop_index("ix_posts_public")
        batch_op.drop_index("ix_posts_community")
        batch_op.drop_index("ix_posts_author")

    op.drop_table("posts")
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.drop_index("ix_moments_author")

    op.drop_table("moments")
    op.drop_table("community_members")
    op.drop_table("trending_topics")
    op.drop_table("topics")
    op.drop_table("post_views")
    op.drop_table("communities")


# Full-text search: SQLite's FTS5 over the search_tokens columns (kept in step by triggers),
# PostgreSQL's tsvector with a GIN index. Both index words already cut by quanzi.kit.words.
FTS_TABLES = ("posts", "accounts")


def _create_full_text() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in FTS_TABLES:
            op.execute(
                f"CREATE VIRTUAL TABLE {table}_fts USING fts5(search_tokens, content='{table}', "
                f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
            )
            op.execute(
                f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {table}_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO {table}_fts({table}_fts, rowid, search_tokens) "
                f"VALUES ('delete', old.id, old.search_tokens); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF search_tokens ON {table} BEGIN "
                f"INSERT INTO {table}_fts({table}_fts, rowid, search_tokens) "
                f"VALUES ('delete', old.id, old.search_tokens); "
                f"INSERT INTO {table}_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
            )
            op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
    else:
        for table in FTS_TABLES:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple', search_tokens)) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING GIN (search_vector)")


def _drop_full_text() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in FTS_TABLES:
            for what in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{what}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    else:
        for table in FTS_TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


def _index_existing_accounts() -> None:
    from quanzi.kit.words import search_tokens

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, handle, display_name FROM accounts")).all()
    for account_id, handle, name in rows:
        bind.execute(
            sa.text("UPDATE accounts SET search_tokens = :t WHERE id = :i"),
            {"t": search_tokens(handle, name or ""), "i": account_id},
        )
