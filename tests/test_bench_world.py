"""The benchmarks' world generator (bench/worldgen.py) against the current migrations: a tiny
world is built into a freshly migrated database and read through the real app, so that a
schema change that leaves the generator behind fails here, not in the next benchmark run.

The generator writes SQLite only (bulk inserts with sqlite3), as the benchmarks read it."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.worldgen import TINY, Generator, Loader

from quanzi.app import create_app
from tests.conftest import make_settings

pytestmark = pytest.mark.slow  # the generator cuts texts in a worker process

NATIVE = "/api/quanzi/v1"


@pytest.fixture(scope="module")
def world(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("world") / "quanzi.db"
    shutil.copyfile(sqlite_template, path)
    return path, Generator(TINY, path, jobs=1).run()


@pytest.fixture
async def reader(
    world: tuple[Path, dict[str, Any]], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    path, _ = world
    settings = make_settings(f"sqlite+aiosqlite:///{path}", tmp_path, "sqlite")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_world_fills_every_table_the_benchmarks_read(
    world: tuple[Path, dict[str, Any]],
) -> None:
    _, meta = world
    counts = meta["counts"]
    for table in (
        "accounts",
        "follows",
        "friend_requests",
        "contacts",
        "labels",
        "posts",
        "post_topics",
        "post_likes",
        "topics",
        "moments",
        "moment_likes",
        "moment_comments",
        "auth_sessions",
    ):
        assert counts.get(table, 0) > 0, table
    assert counts["posts"] == TINY.posts


async def test_the_world_is_usable_through_the_app(
    world: tuple[Path, dict[str, Any]], reader: httpx.AsyncClient
) -> None:
    _, meta = world
    homes, feeds = 0, 0
    for account_id, token in meta["active"][:20]:
        me = await reader.get(f"{NATIVE}/accounts/me", headers=_as(token))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == str(account_id)
        home = await reader.get(f"{NATIVE}/timelines/home?limit=20", headers=_as(token))
        assert home.status_code == 200, home.text
        homes += len(home.json()["items"])
        feed = await reader.get(f"{NATIVE}/moments?limit=20", headers=_as(token))
        assert feed.status_code == 200, feed.text
        feeds += len(feed.json()["items"])
    assert homes > 0 and feeds > 0
    # A light account (one that follows the big account only) sees the big account's posts.
    star_id, _ = meta["star"]
    fan_token = next(token for _, token, kind in meta["star_followers"] if kind == "light")
    home = await reader.get(f"{NATIVE}/timelines/home?limit=100", headers=_as(fan_token))
    authors = [p["author"]["id"] for p in home.json()["items"]]
    assert authors and set(authors) == {str(star_id)}


async def test_profile_post_counts_match_the_posts_in_the_world(
    world: tuple[Path, dict[str, Any]], reader: httpx.AsyncClient
) -> None:
    path, meta = world
    with sqlite3.connect(path) as conn:
        written = dict(
            conn.execute(
                "SELECT author_id, count(*) FROM posts WHERE deleted_at IS NULL GROUP BY author_id"
            ).fetchall()
        )
    assert sum(written.values()) > 0
    for account_id, token in meta["active"][:20]:
        profile = await reader.get(f"{NATIVE}/accounts/{account_id}", headers=_as(token))
        assert profile.status_code == 200, profile.text
        assert profile.json()["post_count"] == written.get(account_id, 0)
        own, after = 0, None
        while True:
            params = {"limit": 100, **({"max_id": after} if after else {})}
            page = await reader.get(
                f"{NATIVE}/accounts/{account_id}/posts", params=params, headers=_as(token)
            )
            own += len(page.json()["items"])
            after = page.json()["next_max_id"]
            if after is None:
                break
        assert own == written.get(account_id, 0)


def test_the_loader_refuses_rows_that_leave_out_a_column(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """What keeps the generator honest: a column it does not name (one a migration added) is
    an error, never a default left to chance."""
    path = tmp_path / "quanzi.db"
    shutil.copyfile(sqlite_template, path)
    loader = Loader(path)
    with pytest.raises(RuntimeError, match="post_count"):
        loader.insert("topics", "id name key created_at", [])
