"""A job function for the job queue's tests, loaded by a server through QUANZI_JOBS_MODULES.

`probe` records one *effect* per job key (an insert that skips a key already there: the
idempotent shape every job function takes) and one *run* row per run that committed, so a
test can tell "ran twice" from "took effect twice". With `fail` it raises instead."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from quanzi.db.upsert import insert_new_only

probe_tables = MetaData()
effects = Table("probe_effects", probe_tables, Column("key", String(200), primary_key=True))
runs = Table(
    "probe_runs",
    probe_tables,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
)


async def probe(ctx: dict[str, Any], pause: float = 0.0, fail: bool = False) -> None:
    key = ctx["job"].key
    await asyncio.sleep(pause)
    if fail:
        raise RuntimeError(f"probe {key} fails on purpose")
    services = ctx["services"]
    async with services.write() as tx:
        await tx.session.execute(insert(runs).values(key=key))
        await tx.session.execute(insert_new_only(tx.dialect, effects).values(key=key))


JOBS = [probe]
