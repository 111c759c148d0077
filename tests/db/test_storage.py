"""Storage choices that the rest of the suite does not exercise."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from quanzi.app import create_app
from tests.conftest import make_settings
from tests.helpers import PASSWORD


async def test_aiosqlite_driver_serves_the_same_app(sqlite_template: Path, tmp_path: Path) -> None:
    """QUANZI_SQLITE_DRIVER=aiosqlite (SQLite on a worker thread) works like the default."""
    import shutil

    db = tmp_path / "quanzi.db"
    shutil.copyfile(sqlite_template, db)
    settings = make_settings(
        f"sqlite+aiosqlite:///{db}", tmp_path, "sqlite", sqlite_driver="aiosqlite"
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(
                "/api/quanzi/v1/accounts",
                json={"handle": "threaded", "password": PASSWORD, "display_name": "T"},
            )
            assert r.status_code == 201
            login = await c.post(
                "/api/quanzi/v1/sessions", json={"login": "threaded", "password": PASSWORD}
            )
            token = login.json()["token"]
            me = await c.get(
                "/api/quanzi/v1/accounts/me", headers={"Authorization": f"Bearer {token}"}
            )
    assert me.json()["number"] == 10001
    assert app.state.services.db.writer.dialect.driver == "aiosqlite"


async def test_default_driver_runs_sqlite_on_the_loop_thread(tmp_path: Path) -> None:
    """db/sqlite_inline.py leans on SQLAlchemy's asyncio layer (`util.concurrency.await_`, the
    dialect's `do_begin` / `do_execute` / `do_executemany` hooks, the pysqlite dialect's
    `connect`). A SQLAlchemy release that changes them must fail here, loudly, rather than
    quietly bring back a thread per statement or lose our BEGIN IMMEDIATE."""
    import sqlite3
    import threading

    import sqlalchemy
    from sqlalchemy import text

    from quanzi.db.engine import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    threads: list[int] = []
    try:
        assert db.writer.dialect.driver == "quanzi", sqlalchemy.__version__
        async with db.writer.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            raw.create_function("thread", 0, lambda: threads.append(threading.get_ident()) or 1)
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": 1}, {"x": 2}])
            assert (await conn.execute(text("SELECT sum(x), thread() FROM t"))).one() == (3, 1)
            # Our BEGIN IMMEDIATE ran: a second writer cannot start a write meanwhile.
            other = sqlite3.connect(tmp_path / "inline.db", timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        await db.dispose()
    assert threads == [threading.get_ident()], (
        f"SQLAlchemy {sqlalchemy.__version__} ran a statement off the event loop's thread: "
        "see db/sqlite_inline.py"
    )


async def test_commits_do_not_checkpoint_the_checkpointer_does(tmp_path: Path) -> None:
    """A serving process's commits leave the write-ahead log alone (no checkpoint and fsync
    inside a request's commit); its checkpointer copies the log into the database file."""
    import sqlite3

    from sqlalchemy import text

    from quanzi.db.engine import Database

    path = tmp_path / "c.db"
    db = Database(f"sqlite+aiosqlite:///{path}", sqlite_own_checkpoints=True)
    assert db.checkpointer is not None
    try:
        async with db.writer.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        for start in range(0, 3000, 500):  # ~1,500 pages of log: past the default of 1,000
            async with db.writer.begin() as conn:
                await conn.execute(
                    text("INSERT INTO t (id, body) VALUES (:id, :body)"),
                    [{"id": i, "body": "x" * 2000} for i in range(start, start + 500)],
                )
        in_file = path.stat().st_size
        assert in_file < 100_000  # everything is still in the log
        busy, log_pages, copied = db.checkpointer.checkpoint()
        assert (busy, copied) == (0, log_pages) and log_pages > 1000
        assert path.stat().st_size > 3000 * 2000  # the rows are in the database file now
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (3000,)
    finally:
        await db.dispose()


async def test_a_serving_process_checkpoints_on_its_own(app: object) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    services = app.state.services
    if services.db.is_sqlite:
        assert services.checkpoints is not None and services.db.checkpointer is not None
    else:
        assert services.checkpoints is None  # PostgreSQL keeps its own
