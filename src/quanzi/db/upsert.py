"""Inserts that skip rows already there (by primary key or unique constraint)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_new_only(dialect: str, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect's own spelling."""
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return postgresql.insert(table).on_conflict_do_nothing()


def upsert(dialect: str, table: Table, keys: list[str], replace: list[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, setting the `replace` columns to the new row's
    values: one atomic statement, so two writers racing on one key both succeed."""
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    return insert.on_conflict_do_update(
        index_elements=keys, set_={name: insert.excluded[name] for name in replace}
    )
