"""The migrations shipped in the package build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection, text

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
