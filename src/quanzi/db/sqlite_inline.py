"""SQLite for asyncio without a thread per connection.

aiosqlite runs every call on a worker thread; each hand-off costs tens of microseconds of CPU
on the event loop thread, and a simple read makes about nine of them, which measured ~4x slower
than the read itself (see docs/benchmarks.md). With WAL and one writer connection, SQLite calls
are short and never wait on another connection of the same process, so this dialect runs them
directly on the event loop thread: the standard library's sqlite3 driver behind SQLAlchemy's
asyncio interface. It is selected by QUANZI_SQLITE_DRIVER=inline (the default); "aiosqlite"
brings the thread back for deployments that prefer it.

A statement that runs long (a large scan) holds the event loop for its duration; the hot paths
are indexed point reads and short writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_

DRIVER_NAME = "sqlite+quanzi"


async def _no_wait() -> None:
    """An await that completes at once: SQLAlchemy's asyncio layer insists on one per call."""


class InlineCursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    def execute(self, statement: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(statement, parameters)
        return self

    def executemany(self, statement: str, parameters: Sequence[Any]) -> InlineCursor:
        self._cursor.executemany(statement, parameters)
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        pass


class InlineConnection:
    __slots__ = ("_connection", "begin_statement")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.begin_statement = "BEGIN"  # the writer's engine sets "BEGIN IMMEDIATE"

    def begin(self) -> None:
        self._connection.execute(self.begin_statement)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._connection.cursor())

    def commit(self) -> None:
        self._connection.commit()

    def rollback(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        self._connection.close()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value  # type: ignore[assignment]

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._connection.create_function(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    driver = "quanzi"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("check_same_thread", False)
        return InlineConnection(super().connect(*args, **kwargs))  # type: ignore[arg-type]

    def do_begin(self, dbapi_connection: Any) -> None:
        # Straight to sqlite3: cheaper than a "begin" event running the statement through
        # SQLAlchemy's execution machinery on every transaction.
        dbapi_connection.begin()

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        await_(_no_wait())
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        await_(_no_wait())
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Any, context: Any = None
    ) -> None:
        await_(_no_wait())
        cursor.executemany(statement, parameters)


registry.register("sqlite.quanzi", "quanzi.db.sqlite_inline", "InlineSQLiteDialect")
dialect = InlineSQLiteDialect
