"""Storage choices that the rest of the suite does not exercise."""

from __future__ import annotations

from pathlib import Path

import httpx

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
                "/api/v1/accounts",
                json={"handle": "threaded", "password": PASSWORD, "display_name": "T"},
            )
            assert r.status_code == 201
            login = await c.post(
                "/api/v1/sessions", json={"login": "threaded", "password": PASSWORD}
            )
            token = login.json()["token"]
            me = await c.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["number"] == 10001
    assert app.state.services.db.writer.dialect.driver == "aiosqlite"


async def test_default_driver_runs_sqlite_on_the_loop_thread(app: object) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    db = app.state.services.db
    if db.is_sqlite:
        assert db.writer.dialect.driver == "quanzi"
