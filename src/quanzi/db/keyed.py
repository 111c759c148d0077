"""Reading rows by many composite keys with one index probe per key.

`(a, b) IN ((1, 2), (3, 4))` reads well, but SQLite (3.40) answers it with a full scan of the
table. `(a = 1 AND b = 2) OR (a = 3 AND b = 4)` is answered on SQLite and PostgreSQL alike by
one index search per key. Statements are built once per number of keys, rounded up to a power
of two (the last key repeats), so there are only a handful of shapes to compile and cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncConnection


class KeyedSelect:
    def __init__(self, query: Select[*tuple[Any, ...]], columns: Sequence[Any]) -> None:
        self._query = query
        self._columns = tuple(columns)
        self._by_size: dict[int, Select[*tuple[Any, ...]]] = {}

    def _statement(self, size: int) -> Select[*tuple[Any, ...]]:
        statement = self._by_size.get(size)
        if statement is None:
            terms = [
                and_(*(col == bindparam(f"k{i}_{j}") for j, col in enumerate(self._columns)))
                for i in range(size)
            ]
            statement = self._by_size[size] = self._query.where(or_(*terms))
        return statement

    async def rows(
        self, conn: AsyncConnection, keys: Sequence[Sequence[Any]], **params: Any
    ) -> list[Any]:
        """The rows matching any of `keys` (each a value per column, in column order)."""
        if not keys:
            return []
        size = 1 << (len(keys) - 1).bit_length()
        values = dict(params)
        for i in range(size):
            key = keys[min(i, len(keys) - 1)]
            for j, value in enumerate(key):
                values[f"k{i}_{j}"] = value
        return list((await conn.execute(self._statement(size), values)).all())
