"""saq's queue, stored in our database: the `jobs` table, on SQLite and PostgreSQL alike.

saq (jobs/worker.py) brings the worker: running jobs with timeouts, retries with exponential
backoff, cron schedules, cancelling on shutdown. It stores jobs through a `Queue` class with
backends for Redis and PostgreSQL (through psycopg) but none for SQLite, so this is its storage
for our `Database`: one class, written in SQLAlchemy Core, for the embedded shape and for
PostgreSQL, through the driver the rest of quanzi uses. Nothing here decides policy; the
storage rules are:

- A job is claimed by one worker: `UPDATE ... SET status = 'active'` on the row picked with
  `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer at a time), in one transaction.
- A job whose worker died (kill -9, power loss) stays `active` until its timeout (or heartbeat)
  has passed by `SWEEP_GRACE`: then `sweep` queues it again, or, when it has used its
  attempts, aborts it into the dead-letter list with the error "swept". So every job runs to
  completion at least once or is dead-lettered; a job's effects happen once when its function
  is idempotent, keyed on the job's key (docs/architecture.md, "Background work").
- Failed and aborted jobs never expire: they are the dead-letter list that `quanzi jobs` shows,
  retries and drops. Complete jobs expire `job.ttl` seconds after they finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from saq.job import TERMINAL_STATUSES, Job, Status
from saq.queue.base import Queue
from saq.utils import now as now_ms
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from quanzi.db.models import JobRow
from quanzi.obs import metrics

if TYPE_CHECKING:
    from saq.types import CountKind, QueueInfo, WorkerInfo

    from quanzi.db.engine import Database

SWEEP_GRACE = 5.0  # seconds past a job's timeout before its job is taken for lost
DEAD = (Status.FAILED.value, Status.ABORTED.value)
TERMINAL = tuple(s.value for s in TERMINAL_STATUSES)


def _seconds() -> int:
    return int(time.time())


class SqlQueue(Queue):
    def __init__(self, db: Database, name: str = "default", poll_seconds: float = 1.0) -> None:
        super().__init__(name, dump=json.dumps, load=json.loads)
        self.db = db
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._claiming = asyncio.Lock()  # one poller per process; the others wait behind it

    def __repr__(self) -> str:
        return f"SqlQueue<{self.db.dialect}, {self.name}>"

    def wake(self) -> None:
        """A job was just committed in this process: look at once rather than at the next poll."""
        self._wake.set()

    async def disconnect(self) -> None:
        pass  # the database belongs to Services

    # --- writing jobs ---------------------------------------------------------------------------

    def row(self, job: Job) -> dict[str, Any]:
        job.queue = self
        return {
            "key": job.key,
            "queue": self.name,
            "function": job.function,
            "status": job.status.value,
            "scheduled": job.scheduled or 0,
            "expire_at": None,
            "job": self.serialize(job),
        }

    def _insert(self) -> Any:
        return (sqlite if self.db.is_sqlite else postgresql).insert(JobRow)

    async def add_in(self, session: AsyncSession, jobs: Sequence[Job]) -> None:
        """Write `jobs` (new keys) in the caller's transaction: they are queued if and when it
        commits (the transactional outbox that `Tx.enqueue` uses)."""
        stamp = now_ms()
        for job in jobs:
            job.queued, job.status = stamp, Status.QUEUED
        await session.execute(self._insert().on_conflict_do_nothing(), [self.row(j) for j in jobs])

    async def _enqueue(self, job: Job) -> Job | None:
        # A key that is queued or running is not queued again (saq's rule: cron ticks, keyed
        # jobs); a finished one is replaced by a later run.
        insert = self._insert()
        statement = insert.values(self.row(job)).on_conflict_do_update(
            index_elements=["key"],
            set_={c: insert.excluded[c] for c in ("job", "status", "scheduled", "expire_at")},
            where=JobRow.status.in_(TERMINAL) & (insert.excluded.scheduled > JobRow.scheduled),
        )
        async with self.db.write_session() as session:
            added = (await session.execute(statement.returning(JobRow.key))).first()
            await session.commit()
        if added is None:
            return None
        self.wake()
        return job

    async def _update(self, job: Job, status: Status | None = None, **kwargs: Any) -> None:
        values: dict[str, Any] = {"job": self.serialize(job), "scheduled": job.scheduled or 0}
        if status is not None:
            values["status"] = status.value
        if "expire_at" in kwargs:
            values["expire_at"] = kwargs["expire_at"]
        async with self.db.write_session() as session:
            await session.execute(update(JobRow).where(JobRow.key == job.key).values(values))
            await session.commit()

    async def _retry(self, job: Job, error: str | None) -> None:
        delay = job.next_retry_delay()
        scheduled = int(time.time() + delay) if delay else job.scheduled
        await self.update(job, status=Status.QUEUED, scheduled=scheduled, expire_at=None)
        metrics.jobs_retried.labels(job.function).inc()

    async def _finish(
        self, job: Job, status: Status, *, result: Any = None, error: str | None = None
    ) -> None:
        if status == Status.COMPLETE and job.ttl < 0:
            async with self.db.write_session() as session:
                await session.execute(delete(JobRow).where(JobRow.key == job.key))
                await session.commit()
        else:
            keep = status == Status.COMPLETE and job.ttl > 0
            await self.update(job, status=status, expire_at=_seconds() + job.ttl if keep else None)
        metrics.jobs_finished.labels(job.function, status.value).inc()
        ran = job.duration("process")
        if ran is not None:
            metrics.job_seconds.labels(job.function).observe(ran / 1000)

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        """A queued job is aborted at once; a running one is marked aborting, and its worker
        cancels it (saq's worker looks every second)."""
        job.error = error
        async with self.db.write_session() as session:
            status = await session.scalar(
                select(JobRow.status).where(JobRow.key == job.key).with_for_update()
            )
            if status in (Status.QUEUED.value, Status.ACTIVE.value):
                aborted = Status.ABORTED if status == Status.QUEUED.value else Status.ABORTING
                job.status = aborted
                await session.execute(
                    update(JobRow)
                    .where(JobRow.key == job.key)
                    .values(status=aborted.value, job=self.serialize(job))
                )
            await session.commit()

    # --- claiming -------------------------------------------------------------------------------

    async def _due(self) -> bool:
        """A cheap read before the write that claims: an idle queue costs no write."""
        async with self.db.read_session() as session:
            return (
                await session.scalar(select(JobRow.key).where(*self._due_now()).limit(1))
            ) is not None

    def _due_now(self) -> tuple[Any, ...]:
        return (
            JobRow.queue == self.name,
            JobRow.status == Status.QUEUED.value,
            JobRow.scheduled <= _seconds(),
        )

    async def _claim(self) -> Job | None:
        if not await self._due():
            return None
        async with self.db.write_session() as session:
            row = (
                await session.execute(
                    select(JobRow.key, JobRow.job)
                    .where(*self._due_now())
                    .order_by(JobRow.scheduled)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if row is None:
                return None
            job = self.deserialize(row.job, Status.ACTIVE)
            assert job is not None
            job.started = job.touched = now_ms()
            await session.execute(
                update(JobRow)
                .where(JobRow.key == row.key)
                .values(status=Status.ACTIVE.value, job=self.serialize(job))
            )
            await session.commit()
        return job

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        """The next due job, claimed; waits for one (for ever when `timeout` is 0)."""
        poll = poll_interval or self.poll_seconds
        deadline = time.monotonic() + timeout if timeout else None
        async with self._claiming:
            while True:
                self._wake.clear()
                job = await self._claim()
                if job is not None:
                    return job
                wait = poll
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    # --- upkeep ---------------------------------------------------------------------------------

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Forget expired complete jobs; queue again (or dead-letter) jobs whose worker died."""
        async with self.db.write_session() as session:
            await session.execute(
                delete(JobRow).where(
                    JobRow.queue == self.name,
                    JobRow.status == Status.COMPLETE.value,
                    JobRow.expire_at <= _seconds(),
                )
            )
            rows = (
                await session.execute(
                    select(JobRow.job, JobRow.status).where(
                        JobRow.queue == self.name,
                        JobRow.status.in_((Status.ACTIVE.value, Status.ABORTING.value)),
                    )
                )
            ).all()
            await session.commit()
        swept = []
        for payload, status in rows:
            job = self.deserialize(payload, status)
            assert job is not None
            if not _lost(job):
                continue
            swept.append(job.key)
            if job.retryable and job.status == Status.ACTIVE:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return swept

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        """saq calls this every few seconds: we show the queue's depth as metrics instead of
        storing worker rows."""
        counts = await self.counts()
        for status in ("queued", "active", "failed", "aborted"):
            metrics.jobs_waiting.labels(status).set(counts.get(status, 0))

    # --- reading --------------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        async with self.db.read_session() as session:
            rows = await session.execute(
                select(JobRow.status, func.count())
                .where(JobRow.queue == self.name)
                .group_by(JobRow.status)
            )
            return {str(status): int(n) for status, n in rows.all()}

    async def count(self, kind: CountKind) -> int:
        counts = await self.counts()
        if kind == "queued":
            return counts.get("queued", 0)
        if kind == "active":
            return counts.get("active", 0) + counts.get("aborting", 0)
        return sum(n for s, n in counts.items() if s not in TERMINAL)

    async def info(self, jobs: bool = False, offset: int = 0, limit: int = 10) -> QueueInfo:
        counts = await self.counts()
        listed = (
            await self.listing(("queued", "active"), offset=offset, limit=limit) if jobs else []
        )
        return {
            "workers": {},
            "name": self.name,
            "queued": counts.get("queued", 0),
            "active": counts.get("active", 0),
            "scheduled": 0,
            "jobs": [job.to_dict() for job in listed],
        }

    async def listing(
        self, statuses: Iterable[str], *, offset: int = 0, limit: int = 100
    ) -> list[Job]:
        async with self.db.read_session() as session:
            rows = await session.execute(
                select(JobRow.job, JobRow.status)
                .where(JobRow.queue == self.name, JobRow.status.in_(list(statuses)))
                .order_by(JobRow.scheduled, JobRow.key)
                .offset(offset)
                .limit(limit)
            )
            return [j for payload, status in rows.all() if (j := self.deserialize(payload, status))]

    async def job(self, job_key: str) -> Job | None:
        async with self.db.read_session() as session:
            row = (
                await session.execute(
                    select(JobRow.job, JobRow.status).where(
                        JobRow.key == job_key, JobRow.queue == self.name
                    )
                )
            ).first()
        return self.deserialize(row.job, row.status) if row else None

    async def jobs(self, job_keys: Iterable[str]) -> list[Job | None]:
        keys = list(job_keys)
        async with self.db.read_session() as session:
            rows = await session.execute(
                select(JobRow.key, JobRow.job, JobRow.status).where(JobRow.key.in_(keys))
            )
            found = {key: self.deserialize(payload, status) for key, payload, status in rows}
        return [found.get(key) for key in keys]

    async def iter_jobs(
        self, statuses: list[Status] | None = None, batch_size: int = 100
    ) -> AsyncIterator[Job]:
        wanted = [s.value for s in statuses or Status]
        offset = 0
        while True:
            batch = await self.listing(wanted, offset=offset, limit=batch_size)
            for job in batch:
                yield job
            if len(batch) < batch_size:
                return
            offset += batch_size

    async def drop(self, job_key: str) -> bool:
        """Delete a dead job (failed or aborted); says whether there was one."""
        async with self.db.write_session() as session:
            gone = await session.execute(
                delete(JobRow)
                .where(JobRow.key == job_key, JobRow.status.in_(DEAD))
                .returning(JobRow.key)
            )
            found = gone.first() is not None
            await session.commit()
        return found

    async def revive(self, job_key: str) -> Job | None:
        """Queue a dead job again with fresh attempts; None if there is no such dead job."""
        job = await self.job(job_key)
        if job is None or job.status.value not in DEAD:
            return None
        job.attempts, job.scheduled, job.error = 0, 0, None
        job.status = Status.QUEUED
        await self.update(job, status=Status.QUEUED, expire_at=None)
        return job


def _lost(job: Job) -> bool:
    """Running longer than its timeout (or silent longer than its heartbeat), by SWEEP_GRACE:
    its worker would have cancelled it by then, so the worker is gone."""
    current = now_ms()
    grace = SWEEP_GRACE * 1000
    return bool(
        (job.timeout and current - job.started > job.timeout * 1000 + grace)
        or (job.heartbeat and current - job.touched > job.heartbeat * 1000 + grace)
    )
