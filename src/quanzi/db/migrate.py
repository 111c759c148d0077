"""Schema migrations (Alembic, shipped inside the package)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def managed(name: str | None, type_: str, *_args: object) -> bool:
    """Whether autogenerate and schema checks compare this object: not the full-text objects,
    which migrations make by hand per dialect (FTS5 tables and their shadow tables on SQLite,
    the generated tsvector columns and their GIN indexes on PostgreSQL)."""
    name = name or ""
    if type_ == "table":
        return "_fts" not in name
    return not name.startswith(
        ("search_vector", "ix_posts_search", "ix_accounts_search", "ix_comments_search")
    )


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "quanzi.db:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` on a connection of `engine`."""

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.connect() as conn:
        await conn.run_sync(run)
        await conn.commit()


async def pending(engine: AsyncEngine) -> list[str]:
    """Revisions not yet applied (empty when the schema is current)."""

    def check(connection: Connection) -> list[str]:
        current = set(MigrationContext.configure(connection).get_current_heads())
        script = ScriptDirectory.from_config(alembic_config())
        todo = []
        for rev in script.walk_revisions():
            if rev.revision in current:
                break
            todo.append(rev.revision)
        return list(reversed(todo))

    async with engine.connect() as conn:
        return await conn.run_sync(check)
