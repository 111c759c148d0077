"""`Jobs`: this process's side of the durable job queue.

Made once by `Services`. It enqueues (`enqueue` outside a transaction; `tx.enqueue` inside one,
which `Services.write` hands to `add_in`) and, in a serving process, runs saq's `Worker` on
the queue: `QUANZI_JOBS_CONCURRENCY` jobs at once, each with `QUANZI_JOBS_RETRIES` attempts
and exponential backoff between them (1 s, 2 s, 4 s ... at most a minute, with jitter).

A job function is `async def name(ctx, **kwargs)`; `ctx["services"]` is this process's
`Services` and `ctx["job"]` the saq `Job` (its `key` is what an idempotent function keys its
effects on: a job may run again after its process died mid-run).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from saq import Job, Worker
from saq.types import Context, PartialTimersDict
from sqlalchemy.ext.asyncio import AsyncSession

from quanzi.domain.push.deliver import JOBS as push_jobs
from quanzi.jobs import periodic
from quanzi.jobs.queue import SqlQueue

if TYPE_CHECKING:
    from quanzi.config import Settings
    from quanzi.db.engine import Database

# saq logs every job it starts and finishes at INFO; ours are in the metrics.
logging.getLogger("saq").setLevel(logging.WARNING)

MAX_BACKOFF = 60.0  # seconds between two attempts, at most
SCHEDULE_EVERY = 10  # seconds between two looks at the periodic tasks' next ticks
JOBS: list[Callable[..., Any]] = [*push_jobs]  # the job functions of the areas


class _Worker(Worker[Context]):
    SIGNALS = []  # noqa: RUF012 (uvicorn owns the process's signals, not the worker)


class Jobs:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.settings = settings
        self.queue = SqlQueue(db, poll_seconds=settings.jobs_poll_seconds)
        self._worker: _Worker | None = None
        self._running: asyncio.Task[None] | None = None

    def make(self, function: str, kwargs: dict[str, Any], options: dict[str, Any]) -> Job:
        """A job with the house defaults (attempts, timeout, backoff); `options` override them
        (any field of saq's `Job`: key, scheduled, timeout, retries, ttl ...)."""
        fields: dict[str, Any] = {
            "timeout": self.settings.jobs_timeout_seconds,
            "retries": self.settings.jobs_retries,
            "retry_delay": 1.0,
            "retry_backoff": MAX_BACKOFF,
            "ttl": 3600,  # a complete job is kept an hour (failed ones until an operator acts)
            **options,
        }
        return Job(function=function, kwargs=kwargs or None, queue=self.queue, **fields)

    async def enqueue(
        self, function: str, /, *, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> Job | None:
        """Queue a job now, outside any transaction (a command, another job). Returns None if
        a job with the same key is still queued or running."""
        return await self.queue.enqueue(self.make(function, kwargs, options or {}))

    async def add_in(
        self, session: AsyncSession, jobs: Sequence[tuple[str, dict[str, Any], dict[str, Any]]]
    ) -> None:
        """Write the jobs a transaction asked for (`tx.enqueue`) in that transaction."""
        await self.queue.add_in(session, [self.make(*job) for job in jobs])

    def functions(self) -> list[Callable[..., Any]]:
        found = list(JOBS)
        for name in filter(None, (m.strip() for m in self.settings.jobs_modules.split(","))):
            found.extend(importlib.import_module(name).JOBS)
        return found

    def start(self, context: dict[str, Any]) -> None:
        """Run a worker in this process (`quanzi serve`); `context` is handed to every job."""
        timers: PartialTimersDict = {
            "schedule": SCHEDULE_EVERY,
            "sweep": self.settings.jobs_sweep_seconds,
            "abort": 1,  # saq's defaults
            "worker_info": 10,  # also how often the queue's depth metrics are counted
        }
        worker = _Worker(
            self.queue,
            self.functions(),
            concurrency=self.settings.jobs_concurrency,
            cron_jobs=periodic.CLUSTER,
            timers=timers,
        )
        worker.context.update(context)  # type: ignore[typeddict-item]
        self._worker = worker
        self._running = asyncio.create_task(worker.start(), name="quanzi-jobs")

    async def stop(self) -> None:
        """Stop the worker: a job still running is cancelled and queued again (its attempt
        counts), so a restart never loses it."""
        if self._worker is None or self._running is None:
            return
        await self._worker.stop()
        await asyncio.gather(self._running, return_exceptions=True)
        self._worker = self._running = None

    @property
    def working(self) -> bool:
        return self._worker is not None
