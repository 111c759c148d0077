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
