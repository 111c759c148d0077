"""search: English stems, names by any part, comments indexed

Search keeps each English word with its stem and each name with the pairs of neighbouring
Chinese characters in it (kit/words.py), and comments are searchable as posts are: they get a
`search_tokens` column, indexed by FTS5 on SQLite (`comments_fts`, kept by triggers) and by a
generated tsvector with a GIN index on PostgreSQL, as in 0003. The stored words of existing
rows are made again by the code's cutter, a batch at a time: posts whose text holds Latin
letters (no other post gains a stem), comments, and accounts (deleted ones keep none); then, on
SQLite, each full-text index is merged into one segment again.

Downgrading drops the comments' index and column and leaves the posts' and accounts' new words
in place: the code before looks up whole words, and stems and pairs are words it can hold.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00.000000
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_LATIN = re.compile("[A-Za-z]")


def upgrade() -> None:
    from quanzi.kit.words import name_tokens, search_tokens

    op.add_column(
        "comments",
        sa.Column("search_tokens", sa.Text(), nullable=False, server_default=""),
    )
    # the comments' words first, then their index is built from them at once
    _reindex("comments", "text", "deleted_at IS NULL", lambda text: search_tokens(text))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE comments_fts USING fts5(search_tokens, content='comments', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN "
            "INSERT INTO comments_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
        )
        op.execute(
            "CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN "
            "INSERT INTO comments_fts(comments_fts, rowid, search_tokens) "
            "VALUES ('delete', old.id, old.search_tokens); END"
        )
        op.execute(
            "CREATE TRIGGER comments_fts_update AFTER UPDATE OF search_tokens ON comments BEGIN "
            "INSERT INTO comments_fts(comments_fts, rowid, search_tokens) "
            "VALUES ('delete', old.id, old.search_tokens); "
            "INSERT INTO comments_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END"
        )
        op.execute("INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')")
    else:
        op.execute(
            "ALTER TABLE comments ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_tokens)) STORED"
        )
        op.execute("CREATE INDEX ix_comments_search ON comments USING GIN (search_vector)")
    # their indexes follow each changed row (triggers, generated columns)
    _reindex("posts", "text", "text <> ''", lambda text: search_tokens(text), _has_latin)
    _reindex(
        "accounts",
        "handle, display_name",
        "search_tokens <> ''",
        lambda handle, name: name_tokens(handle, name or ""),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Rewriting the words of many rows leaves FTS5 indexes in many small segments, which
        # every query then reads (a two-word query took twice as long on the benchmarks'
        # million posts); one merge of each (9 s for those posts) makes them whole again.
        for table in ("posts", "comments", "accounts"):
            op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for what in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS comments_fts_{what}")
        op.execute("DROP TABLE IF EXISTS comments_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_comments_search")
        op.execute("ALTER TABLE comments DROP COLUMN IF EXISTS search_vector")
    op.drop_column("comments", "search_tokens")


def _has_latin(text: str) -> bool:
    """Whether the words of `text` may hold an English word (NFKC makes ＡＢＣ into ABC)."""
    return _LATIN.search(unicodedata.normalize("NFKC", text)) is not None


def _reindex(
    table: str,
    columns: str,
    where: str,
    tokens_of: Callable[..., str],
    needed: Callable[..., bool] = lambda *_: True,
) -> None:
    """Make the stored words of `table`'s rows again from `columns`, BATCH rows at a time in
    the order of their ids, writing only those that change."""
    bind = op.get_bind()
    read = sa.text(
        f"SELECT id, search_tokens, {columns} FROM {table} "
        f"WHERE id > :after AND {where} ORDER BY id LIMIT {BATCH}"
    )
    write = sa.text(f"UPDATE {table} SET search_tokens = :tokens WHERE id = :id")
    after = -(2**63)
    while True:
        rows = bind.execute(read, {"after": after}).all()
        if not rows:
            return
        changed: list[dict[str, Any]] = []
        for row_id, stored, *values in rows:
            if needed(*values):
                tokens = tokens_of(*values)
                if tokens != stored:
                    changed.append({"tokens": tokens, "id": row_id})
        if changed:
            bind.execute(write, changed)
        after = rows[-1][0]
