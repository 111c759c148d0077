"""Cursor pagination by time-sortable id, the same for every list in every door.

- `max_id`: only items older than this id (the next page of a newest-first list);
- `since_id`: only items newer than this id, newest first (what is new since I last looked);
- `min_id`: only items newer than this id, the ones right after it (paging forward without gaps).
Results are always returned newest first. `limit` is 1..100 (default 20).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def ascending(self) -> bool:
        """True when the query must read oldest first (min_id), to be reversed afterwards."""
        return self.min_id is not None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_max_id: int | None  # pass as max_id for the older page; None at the end
    prev_min_id: int | None  # pass as min_id for the newer page

    @classmethod
    def build(cls, items: Sequence[T], window: Window, key: Callable[[T], int]) -> Page[T]:
        """`items` as read (newest first, or oldest first for min_id), at most limit + 1 long."""
        more = len(items) > window.limit
        items = list(items[: window.limit])
        if window.ascending:
            items.reverse()
        if not items:
            return cls(items, None, window.min_id or window.since_id)
        older_exist = more if not window.ascending else True
        return cls(
            items,
            key(items[-1]) if older_exist else None,
            key(items[0]),
        )
