"""SQL for kit.pagination windows."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from quanzi.kit.pagination import Window

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


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
