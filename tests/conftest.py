"""Fixtures: a real database per test (SQLite always; PostgreSQL + Redis when
QUANZI_TEST_DATABASE_URL / QUANZI_TEST_REDIS_URL are set), the real app, HTTP through ASGI,
and a real uvicorn server on loopback for WebSockets.

Every test that takes `settings` (directly or through `app`, `client`, `live`) runs once per
backend: test ids end in [sqlite] or [postgres].
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.db.engine import Database
from quanzi.db.migrate import upgrade
from tests.helpers import Personas, pg_admin

PG_URL = os.environ.get("QUANZI_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("QUANZI_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db.writer)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "quanzi.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database used as the template of each test's database."""
    if PG_URL is None:
        yield None
        return
    name = f"quanzi_tpl_{os.getpid()}"
    asyncio.run(
        pg_admin(
            PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
    )
    asyncio.run(_migrate(_with_database(PG_URL, name)))
    yield name
    asyncio.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.contextmanager
def fresh_database(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[str]:
    """A migrated database of its own, copied from the session's template; dropped after."""
    if backend == "sqlite":
        target = tmp_path / "quanzi.db"
        shutil.copyfile(sqlite_template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    assert PG_URL is not None and postgres_template is not None
    name = f"quanzi_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_admin(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    try:
        yield _with_database(PG_URL, name)
    finally:
        asyncio.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[str]:
    with fresh_database(backend, tmp_path, sqlite_template, postgres_template) as url:
        yield url


def make_settings(database_url: str, tmp_path: Path, backend: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "redis_url": REDIS_URL if backend == "postgres" else None,
        "redis_prefix": f"quanzi-test-{uuid.uuid4().hex[:10]}",
        "media_dir": tmp_path / "media",
        "secret_key": "t" * 32,
        "public_url": "http://testserver",
        # Cheap hashing keeps the suite fast; the timing test sets real costs.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "rate_register_ip": "1000/minute",
        "rate_login_ip": "1000/minute",
        "rate_login_account": "1000/minute",
        "log_level": "warning",
        "access_log": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, backend: str) -> Settings:
    return make_settings(database_url, tmp_path, backend)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def people(client: httpx.AsyncClient) -> Personas:
    return Personas(client)


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[str]:
    """The same app also served by uvicorn on a loopback port (for WebSockets)."""
    async with serve_in_loop(app) as base:
        yield base


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test runner keeps its signals
        yield


def serve_in_loop(app: FastAPI, **config: object) -> _Serving:
    return _Serving(app, config)


class _Serving:
    def __init__(self, app: FastAPI, config: dict[str, object]) -> None:
        options: dict[str, object] = {
            "host": "127.0.0.1",
            "port": 0,
            "lifespan": "off",
            "ws": "wsproto",
            "log_config": None,
            "access_log": False,
        }
        options.update(config)
        self.server = _QuietServer(uvicorn.Config(app, **options))  # type: ignore[arg-type]
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        assert self.task is not None
        await self.task
