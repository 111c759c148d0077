"""SQL for kit.pagination windows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from quanzi.kit.ids import id_at, new_id, time_of
from quanzi.kit.pagination import Page, Window

S = TypeVar("S", bound=Select[*tuple[Any, ...]])
T = TypeVar("T")


def window_query(query: S, column: InstrumentedAttribute[int], window: Window) -> S:
    """Restrict `query` to `window` by the id `column`, reading one row more than the limit so
    that the page knows whether more exist."""
    if window.max_id is not None:
        query = query.where(column < window.max_id)
    if window.min_id is not None:
        query = query.where(column > window.min_id)
    elif window.since_id is not None:
        query = query.where(column > window.since_id)
    order = column.asc() if window.ascending else column.desc()
    return query.order_by(order).limit(window.limit + 1)


def candidate_batch(limit: int) -> int:
    """How many candidates one round checks: a page and a half and a few more, so that one
    round fills the page even when some of them are left out."""
    return (limit + 1) * 3 // 2 + 8


async def filtered_page(
    session: AsyncSession,
    candidates: Select[Any],
    column: InstrumentedAttribute[int],
    window: Window,
    keep: Callable[[list[int]], Awaitable[Iterable[T]]],
    key: Callable[[T], int],
) -> Page[T]:
    """The page of `window` among the rows whose ids (`column`) `candidates` selects, keeping
    what `keep` returns for them (in the page's order): the same page as one query with both
    conditions, but `keep` (a visibility rule of several lookups per row) sees only the
    candidates near the page, a batch at a time, not every candidate."""
    need = window.limit + 1
    batch = candidate_batch(window.limit)
    ordered = window_query(candidates, column, window).limit(batch)
    found: list[T] = []
    query = ordered
    conn = await session.connection()
    while True:
        ids = list((await conn.execute(query)).scalars())
        if ids:
            found.extend(await keep(ids))
        if len(found) >= need or len(ids) < batch:
            return Page.build(found[:need], window, key)
        after = ids[-1]
        query = ordered.where(column > after if window.ascending else column < after)


async def newest_span_first(
    window: Window,
    spans: Sequence[timedelta | None],
    page_of: Callable[[int | None], Awaitable[Page[T]]],
) -> Page[T]:
    """The page `page_of(after)` gives for candidates with ids above `after` (None: all),
    reading the newest span of time first and wider spans (the last None: all time) only when
    it holds too few: most pages of a feed fill from its last days, and then the database
    sorts the candidates of those days, not all of them. Ids are time-sortable (kit/ids.py)."""
    if window.min_id is not None or window.since_id is not None:
        return await page_of(None)
    top = window.max_id or new_id()
    for span in spans:
        page = await page_of(None if span is None else id_at(time_of(top) - span))
        if len(page.items) >= window.limit or span is None:
            return page
    raise ValueError("the last span must be None (all time)")
