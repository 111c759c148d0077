"""Full-text matching, the only part of search that differs between the databases.

Documents keep their words, cut by quanzi.kit.words, in a `search_tokens` column. SQLite
indexes that column with FTS5 (`<table>_fts`, kept in step by triggers); PostgreSQL with a
generated `search_vector` tsvector and a GIN index (migrations 0003 and 0013). A query is a
list of terms (kit/words.Term), each a word or, for the word being typed, a word or a prefix:
`"fox" AND ("jump" OR "jum"*)` in FTS5, `'fox' & ('jump' | 'jum':*)` in PostgreSQL. A match is a
selectable of (id, rank) to join in the caller's query, so that who may see what stays part of
the same query; lower rank is better on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Table, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from quanzi.kit.words import Term

# SQLite ranks a query's newest RANK_WINDOW matches: bm25 costs about a microsecond per match,
# and a common word matches tens of thousands of posts (~70 ms to rank them all). A search
# for a word that common shows what is recent first anyway, as Weibo's does.
RANK_WINDOW = 1000


def _fts5_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 query that all of `terms` hold."""
    parts = []
    for term in terms:
        phrase = _fts5_phrase(term.token)
        if term.prefix is not None:
            phrase = f"({phrase} OR {_fts5_phrase(term.prefix)}*)"
        parts.append(phrase)
    return " AND ".join(parts)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "").replace("'", "''") + "'"


def _tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        lexeme = _lexeme(term.token)
        if term.prefix is not None:
            lexeme = f"({lexeme} | {_lexeme(term.prefix)}:*)"
        parts.append(lexeme)
    return " & ".join(parts)


async def rank_floor(
    session: AsyncSession, dialect: str, target: Table, terms: list[Term]
) -> int | None:
    """The id below which `match` need not rank (SQLite: the RANK_WINDOW-th newest match), or
    None to rank every match."""
    if dialect != "sqlite":
        return None
    fts = table(f"{target.name}_fts", column("rowid"))
    floor = await session.scalar(
        select(fts.c.rowid)
        .where(text(f"{target.name}_fts MATCH :fts_query"))
        .params(fts_query=fts5_query(terms))
        .order_by(fts.c.rowid.desc())
        .limit(1)
        .offset(RANK_WINDOW - 1)
    )
    return int(floor) if floor is not None else None


def match(dialect: str, target: Table, terms: list[Term], floor: int | None = None) -> Subquery:
    """Rows of `target` that hold all of `terms` (and whose id is at least `floor`, if given):
    columns `id` and `rank`."""
    if dialect == "sqlite":
        fts = table(f"{target.name}_fts", column("rowid"))
        rank = literal_column(f"bm25({target.name}_fts)", Float)
        query = (
            select(fts.c.rowid.label("id"), rank.label("rank"))
            .where(text(f"{target.name}_fts MATCH :fts_query"))
            .params(fts_query=fts5_query(terms))
        )
        if floor is not None:
            query = query.where(fts.c.rowid >= floor)
        return query.subquery("matched")
    vector: Any = literal_column(f"{target.name}.search_vector")
    tsquery = func.to_tsquery("simple", _tsquery(terms))
    rank = func.ts_rank(vector, tsquery)
    if any(term.prefix is not None for term in terms):
        # Rows that hold every word whole first, then by rank (FTS5 does much the same: a whole
        # word matches both sides of an OR). Normalisation 32 keeps ts_rank below 1, in order.
        whole = func.to_tsquery("simple", _tsquery([Term(term.token) for term in terms]))
        rank = func.ts_rank(vector, tsquery, 32) + func.sign(func.ts_rank(vector, whole))
    query = select(target.c.id.label("id"), (-rank).label("rank")).where(vector.op("@@")(tsquery))
    if floor is not None:
        query = query.where(target.c.id >= floor)
    return query.subquery("matched")
