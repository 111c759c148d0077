"""The migrations shipped in the package build exactly the schema the models describe."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection, text

from quanzi.app import create_app
from quanzi.db.engine import Database
from quanzi.db.migrate import alembic_config, managed, pending, upgrade
from quanzi.db.models import Base
from tests.chat_helpers import people_with_chat
from tests.helpers import Personas


async def test_schema_matches_the_models(database_url: str) -> None:
    db = Database(database_url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_name": managed})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with db.writer.connect() as conn:
            assert await conn.run_sync(diff) == []
        assert await pending(db.writer) == []
    finally:
        await db.dispose()


async def test_downgrade_to_nothing_and_up_again(database_url: str) -> None:
    from alembic import command

    db = Database(database_url)

    def down(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")

    try:
        async with db.writer.connect() as conn:
            await conn.run_sync(down)
            await conn.commit()
        assert await pending(db.writer)
        await upgrade(db.writer)
        assert await pending(db.writer) == []
        async with db.writer.connect() as conn:
            start = (
                await conn.execute(text("SELECT value FROM counters WHERE name = 'account_number'"))
            ).scalar_one()
        assert start == 10000
    finally:
        await db.dispose()


async def test_members_who_left_before_the_migration_keep_the_group_as_it_was_then(
    app: FastAPI, people: Personas
) -> None:
    """Members who left before the migration that keeps the group as they last saw it are
    given the group as it is at the migration, and keep that after."""
    from alembic import command

    owner, bob = await people_with_chat(people, "owner", "bob")
    await owner.befriend(bob)
    conv = await owner.group_id(bob, name="旧名字")
    await bob.call("POST", f"/conversations/{conv}/leave")
    await owner.call("PATCH", f"/conversations/{conv}", json={"name": "迁移时"})
    writer = app.state.services.db.writer

    def down(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")

    async with writer.connect() as conn:
        await conn.run_sync(down)
        await conn.commit()
    await upgrade(writer)
    await owner.call("PATCH", f"/conversations/{conv}", json={"name": "迁移后"})
    assert (await bob.conversation(conv)).json()["name"] == "迁移时"


async def test_upgrading_makes_the_search_words_of_existing_rows_again(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    """Rows written before English stems, name pairs and comment search (revision 0011) are
    found as new ones are once the database is upgraded: the migration cuts them again."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from quanzi.kit.words import words
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path, backend)

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[Personas]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield Personas(c)

    async with serving() as people:
        author = await people.register("hanmeimei", display_name="韩梅梅")
        r = await people.client.post(
            "/api/quanzi/v1/posts", json={"text": "The dog jumped"}, headers=author.auth
        )
        post_id = r.json()["id"]
        r = await people.client.post(
            f"/api/quanzi/v1/posts/{post_id}/comments",
            json={"text": "jumping cats"},
            headers=author.auth,
        )
        assert r.status_code == 201

    before = ScriptDirectory.from_config(alembic_config()).get_revision("0011").down_revision
    db = Database(database_url)

    def down(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, str(before))
        # what the cutter stored before: the words alone; for a name, also its characters
        connection.execute(
            text("UPDATE posts SET search_tokens = :t"),
            {"t": " ".join(words("The dog jumped"))},
        )
        connection.execute(
            text("UPDATE accounts SET search_tokens = :t"),
            {"t": " ".join([*words("hanmeimei"), *words("韩梅梅"), "韩", "梅", "梅"])},
        )

    try:
        async with db.writer.connect() as conn:
            await conn.run_sync(down)
            await conn.commit()
        await upgrade(db.writer)
    finally:
        await db.dispose()

    async with serving() as people:
        reader = await people.register("reader")

        async def found(q: str, kind: str) -> list[str]:
            path = "/api/quanzi/v1/accounts/search" if kind == "items" else "/api/quanzi/v1/search"
            r = await people.client.get(path, params={"q": q}, headers=reader.auth)
            return [item.get("text") or item["handle"] for item in r.json()[kind]]

        assert await found("jumping", "posts") == ["The dog jumped"]  # by the stem alone
        assert await found("jump", "comments") == ["jumping cats"]
        assert await found("梅梅", "items") == ["hanmeimei"]
