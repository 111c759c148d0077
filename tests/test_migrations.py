"""The migrations shipped in the package build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from quanzi.db.engine import Database
from quanzi.db.migrate import alembic_config, managed, pending, upgrade
from quanzi.db.models import Base


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
