"""The durable job queue across a crash: two real `quanzi serve` processes on loopback share
the real database (a SQLite file, or PostgreSQL when QUANZI_TEST_DATABASE_URL is set); one is
killed with SIGKILL while 1,000 jobs are queued and running, then restarted."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from saq import Job
from sqlalchemy import func, select

from quanzi.config import Settings
from quanzi.db.engine import Database
from quanzi.jobs.queue import SqlQueue
from tests.helpers import ServerProcess, settings_env
from tests.jobs_probe import effects, probe_tables, runs

pytestmark = pytest.mark.slow

JOBS = 1000
FAILING = range(0, JOBS, 100)  # these raise on every attempt: they end in the dead-letter list


async def wait_for(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


async def test_kill_9_with_1000_jobs_queued_every_job_runs_once_or_is_dead(
    settings: Settings,
) -> None:
    env = settings_env(settings) | {
        "QUANZI_JOBS_MODULES": "tests.jobs_probe",
        "QUANZI_JOBS_CONCURRENCY": "8",
        "QUANZI_JOBS_POLL_SECONDS": "0.2",
        "QUANZI_JOBS_SWEEP_SECONDS": "1",
    }
    db = Database(settings.database_url)
    queue = SqlQueue(db)
    async with db.writer.begin() as conn:
        await conn.run_sync(probe_tables.create_all)

    async def count(table: object) -> int:
        async with db.read_session() as s:
            return int(await s.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]

    keys = [f"probe-{i}" for i in range(JOBS)]
    jobs = [
        Job(
            "probe",
            kwargs={"pause": 0.1, "fail": i in FAILING},
            key=key,
            timeout=2,
            retries=3,
            retry_delay=0.05,
            retry_backoff=0.5,
            ttl=0,  # complete jobs are kept, for this test to read
        )
        for i, key in enumerate(keys)
    ]
    async with db.write_session() as session:
        await queue.add_in(session, jobs)
        await session.commit()

    first, beside = ServerProcess(env), ServerProcess(env)  # two processes share the queue
    second: ServerProcess | None = None
    try:
        await asyncio.gather(first.ready(), beside.ready())

        async def some_done() -> bool:
            return await count(effects) >= 150

        try:
            await wait_for(some_done, "the servers ran no jobs")
        except TimeoutError:
            raise AssertionError(first.output()) from None
        first.signal(signal.SIGKILL)  # mid-run: jobs are being claimed, run and finished
        assert await first.wait() == -signal.SIGKILL
        # the kill left work behind, some of it in the middle of its run
        active = {j.key for j in await queue.listing(["active"]) if j.key.startswith("probe-")}
        assert await count(effects) < JOBS - len(FAILING)
        assert active

        second = ServerProcess(env)  # the killed one, restarted

        async def all_ended() -> bool:  # (the periodic jobs are always queued for their tick)
            waiting = await queue.listing(["queued", "active", "aborting"], limit=2 * JOBS)
            return not any(job.key.startswith("probe-") for job in waiting)

        await second.ready()
        try:
            await wait_for(all_ended, "jobs left unfinished")
        except TimeoutError:
            raise AssertionError(f"{await queue.counts()}\n{second.output()}") from None
    finally:
        for server in (first, beside, second):
            if server is not None:
                server.stop()

    outcome = {
        job.key: job
        for job in await queue.listing(["complete", "failed", "aborted"], limit=2 * JOBS)
        if job.key in keys
    }
    assert sorted(outcome) == sorted(keys)
    dead = {k for k, job in outcome.items() if job.status.value in ("failed", "aborted")}
    async with db.read_session() as s:
        took_effect = list((await s.scalars(select(effects.c.key))).all())
        ran = dict((await s.execute(select(runs.c.key, func.count()).group_by(runs.c.key))).all())
    # every job took effect exactly once, or is in the dead-letter list with its error
    assert len(took_effect) == len(set(took_effect))
    assert set(took_effect) | dead == set(keys)
    assert not set(took_effect) & dead
    assert dead >= {keys[i] for i in FAILING}
    for key in dead:
        error = outcome[key].error or ""
        assert "fails on purpose" in error or error == "swept", (key, error)
    for key in set(keys) - dead:
        assert outcome[key].status.value == "complete"
    # a run that committed but whose process died before the job was marked done ran again:
    # its effect still counts once (the probe's insert skips a key already there)
    assert all(n >= 1 for n in ran.values())
    # no job was claimed by two processes: only a job whose process died mid-run ran twice
    assert {key for key, n in ran.items() if n > 1} <= active
    await db.dispose()
