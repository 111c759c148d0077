"""Every task that runs on a schedule, and how it runs when there are N processes.

Two kinds, and nothing else in quanzi runs on a timer:

Once per tick for the whole site (CLUSTER, below): saq cron jobs in the durable queue. Every
worker offers the next tick's job under one key (`cron:<function>`); the queue keeps one row
per key while it is queued or running, so one process runs each tick whatever the number of
processes, and a tick whose process died is swept and run again like any job.

| task                         | when              | what                                      |
|------------------------------|-------------------|-------------------------------------------|
| `trending_refresh`           | every minute      | domain/square/topics.refresh_trending     |
| `media_sweep`                | hourly, at :17    | domain/media/sweep.sweep_unattached       |

Once per tick in every process (kit/periodic.Periodic, owned by what they flush): each works
on its own process's memory or file, so each process must run its own.

| task                    | every | owner (what is its own to each process)               |
|-------------------------|-------|-------------------------------------------------------|
| post views flush        | 5 s   | domain/square/viewcount.ViewCounter (its counts)      |
| session last-used flush | 15 s  | domain/accounts/sessions.Authenticator (its cache)    |
| revocation poll         | 1 s   | domain/accounts/revocations.Revocations (its sockets) |
| SQLite WAL checkpoint   | 1 s   | db/checkpoint.Checkpointer (embedded only: its file)  |
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from saq.job import CronJob

from quanzi.domain.media.sweep import sweep_unattached
from quanzi.domain.ports import MediaWork
from quanzi.domain.square.topics import refresh_trending
from quanzi.obs.logging import get_logger

if TYPE_CHECKING:
    from quanzi.db.engine import Database


class Running(MediaWork, Protocol):
    """What the site-wide tasks use of the process (`ctx["services"]`, a `Services`)."""

    @property
    def db(self) -> Database: ...


log = get_logger("quanzi.jobs")


async def trending_refresh(ctx: dict[str, Any]) -> None:
    services: Running = ctx["services"]
    await refresh_trending(services.db)


async def media_sweep(ctx: dict[str, Any]) -> None:
    services: Running = ctx["services"]
    erased = await sweep_unattached(
        services.write,
        services.media_store,
        timedelta(hours=services.settings.media_unattached_hours),
    )
    if erased:
        log.info("unattached media erased", count=erased)


CLUSTER: list[CronJob[Any]] = [
    CronJob(trending_refresh, cron="* * * * *", timeout=60, retries=1),
    CronJob(media_sweep, cron="17 * * * *", timeout=3600, retries=1),
]
