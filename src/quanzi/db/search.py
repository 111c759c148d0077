"""Full-text matching, the only part of search that differs between the databases.

Documents keep their words, cut by quanzi.kit.words, in a `search_tokens` column. SQLite
indexes that column with FTS5 (`<table>_fts`, kept in step by triggers); PostgreSQL with a
generated `search_vector` tsvector and a GIN index (migrations 0003 and 0011). A query is a
list of terms (kit/words.Term) and is matched in two parts: the rows that hold every term as a
whole word (`"fox" AND "jum"` in FTS5, `'fox' & 'jum'` in PostgreSQL), then, for the word
being typed, the rows where it only begins a longer word (`"fox" AND ("jum"* NOT "jum")`,
`'fox' & ('jum':* & !'jum')`). The second part is asked for only when the first does not fill
the page: a prefix costs FTS5 several times what a word does (it merges the lists of every
word that begins so), and a word typed to its end usually has matches enough.

A match is a selectable of (id, rank) to join in the caller's query, so that who may see what
stays part of the same query; lower rank is better on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Table, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import BindParameter

from quanzi.kit.words import Term

# SQLite ranks a query's newest RANK_WINDOW matches: bm25 costs about a microsecond per match,
# and a common word matches tens of thousands of posts (~70 ms to rank them all). A search
# for a word that common shows what is recent first anyway, as Weibo's does.
RANK_WINDOW = 1000


def _fts5_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_query(terms: list[Term], *, begun: bool = False) -> str:
    """The FTS5 query of the rows that hold every term whole or, if `begun`, where the word
    being typed only begins a longer word."""
    parts = []
    for term in terms:
        phrase = _fts5_phrase(term.token)
        if begun and term.prefix is not None:
            phrase = f"({_fts5_phrase(term.prefix)}* NOT {phrase})"
        parts.append(phrase)
    return " AND ".join(parts)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "").replace("'", "''") + "'"


def _tsquery(terms: list[Term], begun: bool) -> str:
    parts = []
    for term in terms:
        lexeme = _lexeme(term.token)
        if begun and term.prefix is not None:
            lexeme = f"({_lexeme(term.prefix)}:* & !{lexeme})"
        parts.append(lexeme)
    return " & ".join(parts)


def parts(terms: list[Term]) -> list[bool]:
    """The parts of a query, as `begun` of `match`, in order: the rows that hold every term
    whole, then, if a word is being typed, those where it begins a longer word."""
    if not terms:
        return []
    return [False, True] if any(term.prefix is not None for term in terms) else [False]


def _fts5_match(target: Table, terms: list[Term], begun: bool) -> Any:
    words: BindParameter[str] = bindparam("fts_query", fts5_query(terms, begun=begun), unique=True)
    return text(f"{target.name}_fts MATCH :fts_query").bindparams(words)


async def rank_floor(
    session: AsyncSession, dialect: str, target: Table, terms: list[Term], *, begun: bool = False
) -> int | None:
    """The id below which `match` need not rank (SQLite: the RANK_WINDOW-th newest match), or
    None to rank every match."""
    if dialect != "sqlite":
        return None
    fts = table(f"{target.name}_fts", column("rowid"))
    floor = await session.scalar(
        select(fts.c.rowid)
        .where(_fts5_match(target, terms, begun))
        .order_by(fts.c.rowid.desc())
        .limit(1)
        .offset(RANK_WINDOW - 1)
    )
    return int(floor) if floor is not None else None


def match(
    dialect: str,
    target: Table,
    terms: list[Term],
    floor: int | None = None,
    *,
    begun: bool = False,
) -> Subquery:
    """Rows of `target` that hold all of `terms` whole (or, if `begun`, where the word being
    typed begins a longer word) and whose id is at least `floor`, if given: columns `id` and
    `rank`."""
    if dialect == "sqlite":
        fts = table(f"{target.name}_fts", column("rowid"))
        rank = literal_column(f"bm25({target.name}_fts)", Float)
        query = select(fts.c.rowid.label("id"), rank.label("rank")).where(
            _fts5_match(target, terms, begun)
        )
        if floor is not None:
            query = query.where(fts.c.rowid >= floor)
        return query.subquery("matched")
    vector: Any = literal_column(f"{target.name}.search_vector")
    tsquery = func.to_tsquery("simple", _tsquery(terms, begun))
    query = select(target.c.id.label("id"), (-func.ts_rank(vector, tsquery)).label("rank")).where(
        vector.op("@@")(tsquery)
    )
    if floor is not None:
        query = query.where(target.c.id >= floor)
    return query.subquery("matched")
