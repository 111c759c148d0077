"""Engines and sessions. The only place that knows which database is underneath.

SQLite (embedded): one writer connection whose transactions start with BEGIN IMMEDIATE, so
writers queue in the pool instead of failing with "database is locked", and a few read-only
reader connections that WAL lets run beside the writer. PostgreSQL: one pooled engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from quanzi.db import sqlite_inline
from quanzi.db.checkpoint import Checkpointer


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        sqlite_readers: int = 4,
        sqlite_synchronous: str = "NORMAL",
        sqlite_driver: str = "inline",
        sqlite_own_checkpoints: bool = False,
    ) -> None:
        """`sqlite_own_checkpoints`: the writer never checkpoints in a commit; the owner runs
        `self.checkpointer` every so often instead (db/checkpoint.py)."""
        self.url = url
        self.checkpointer: Checkpointer | None = None
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()  # "sqlite" | "postgresql"
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            if sqlite_driver == "inline":
                parsed = parsed.set(drivername=sqlite_inline.DRIVER_NAME)
            self.writer = create_async_engine(parsed, pool_size=1, max_overflow=0, pool_timeout=120)
            self.reader = create_async_engine(parsed, pool_size=sqlite_readers, max_overflow=0)
            inline = sqlite_driver == "inline"
            own_checkpoints = sqlite_own_checkpoints and database not in ("", ":memory:")
            if own_checkpoints:
                self.checkpointer = Checkpointer(Path(database))
            _prepare_sqlite(
                self.writer,
                begin="BEGIN IMMEDIATE",
                synchronous=sqlite_synchronous,
                inline=inline,
                autocheckpoint=not own_checkpoints,
            )
            _prepare_sqlite(
                self.reader,
                begin="BEGIN",
                synchronous=sqlite_synchronous,
                readonly=True,
                inline=inline,
            )
        elif self.dialect == "postgresql":
            self.writer = self.reader = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
            )
        else:
            raise ValueError(f"unsupported database: {self.dialect}")
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def write_session(self) -> AsyncSession:
        return self._write_sessions()

    def read_session(self) -> AsyncSession:
        return self._read_sessions()

    async def ping(self) -> None:
        async with self.reader.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        if self.checkpointer is not None:
            self.checkpointer.close()


def _prepare_sqlite(
    engine: AsyncEngine,
    *,
    begin: str,
    synchronous: str,
    readonly: bool = False,
    inline: bool = True,
    autocheckpoint: bool = True,
) -> None:
    """Pragmas on every new connection; our own BEGIN so the transaction mode is ours."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver never begins on its own
        if inline:
            dbapi_connection.begin_statement = begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-32000")
        if readonly:
            cursor.execute("PRAGMA query_only=ON")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    if not inline:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)
