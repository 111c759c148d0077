"""Full-text matching, the only part of search that differs between the databases.

Documents keep their words, cut by quanzi.kit.words, in a `search_tokens` column. SQLite
indexes that column with FTS5 (`<table>_fts`, kept in step by triggers); PostgreSQL with a
generated `search_vector` tsvector and a GIN index (see migration 0003). A match is a
selectable of (id, rank) to join in the caller's query, so that who may see what stays part of
the same query; lower rank is better on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Table, column, func, literal_column, select, table, text
from sqlalchemy.sql import Subquery


def _fts5_query(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _tsquery(words: list[str]) -> str:
    return " & ".join("'" + w.replace("\\", "").replace("'", "''") + "'" for w in words)


def match(dialect: str, target: Table, words: list[str]) -> Subquery:
    """Rows of `target` whose words include all of `words`: columns `id` and `rank`."""
    if dialect == "sqlite":
        fts = table(f"{target.name}_fts", column("rowid"))
        rank = literal_column(f"bm25({target.name}_fts)", Float)
        query = (
            select(fts.c.rowid.label("id"), rank.label("rank"))
            .where(text(f"{target.name}_fts MATCH :fts_query"))
            .params(fts_query=_fts5_query(words))
        )
        return query.subquery("matched")
    vector: Any = literal_column(f"{target.name}.search_vector")
    tsquery = func.to_tsquery("simple", _tsquery(words))
    return (
        select(target.c.id.label("id"), (-func.ts_rank(vector, tsquery)).label("rank"))
        .where(vector.op("@@")(tsquery))
        .subquery("matched")
    )
