"""The durable job queue (jobs/): written with the transaction, retried with backoff, then
dead-lettered where `quanzi jobs` shows, retries and drops it; periodic jobs once per tick."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest
from saq import Job

from quanzi.config import Settings
from quanzi.obs import metrics
from quanzi.services import Services
from tests.helpers import settings_env


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Services with no worker: the queue holds still while the test looks at it."""
    running = Services(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_job_is_queued_only_if_its_transaction_commits(services: Services) -> None:
    async def fails() -> None:
        async with services.write() as tx:
            tx.enqueue("probe", options={"key": "rolled-back"})
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        await fails()
    async with services.write() as tx:
        tx.enqueue("probe", options={"key": "committed"}, pause=0.1)
    assert await services.jobs.queue.job("rolled-back") is None
    job = await services.jobs.queue.job("committed")
    assert job is not None
    assert (job.status.value, job.kwargs) == ("queued", {"pause": 0.1})
    assert job.retries == services.settings.jobs_retries


async def test_a_periodic_job_is_queued_once_per_tick_whatever_the_processes(
    settings: Settings,
) -> None:
    one, two = Services(settings), Services(settings)  # two processes' queues on one database
    await one.start()
    await two.start()
    try:
        tick = int(time.time()) + 60
        cron = {"key": "cron:trending_refresh", "scheduled": tick}
        assert await one.jobs.enqueue("trending_refresh", options=cron) is not None
        assert await two.jobs.enqueue("trending_refresh", options=cron) is None
        later = {**cron, "scheduled": tick + 60}
        assert await two.jobs.enqueue("trending_refresh", options=later) is None  # still due
    finally:
        await one.stop()
        await two.stop()


async def wait_until_dead(services: Services, key: str) -> Job:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = await services.jobs.queue.job(key)
        if job is not None and job.status.value == "failed":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} never failed: {await services.jobs.queue.job(key)}")


def quanzi(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    env |= settings_env(settings) | {"COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "quanzi", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
async def test_a_failing_job_is_retried_then_dead_lettered_for_quanzi_jobs(
    settings: Settings,
) -> None:
    settings = settings.model_copy(
        update={"jobs_modules": "tests.jobs_probe", "jobs_poll_seconds": 0.05}
    )
    retried = metrics.jobs_retried.labels("probe")._value.get()
    failed = metrics.jobs_finished.labels("probe", "failed")._value.get()
    services = Services(settings)
    await services.start(work=True)
    try:
        async with services.write() as tx:
            tx.enqueue(
                "probe",
                options={"key": "doomed", "retries": 3, "retry_delay": 0.01},
                fail=True,
            )
        job = await wait_until_dead(services, "doomed")
    finally:
        await services.stop()
    assert job.attempts == 3
    assert "RuntimeError: probe doomed fails on purpose" in (job.error or "")
    assert metrics.jobs_retried.labels("probe")._value.get() == retried + 2
    assert metrics.jobs_finished.labels("probe", "failed")._value.get() == failed + 1

    listed = quanzi(settings, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    assert "doomed" in listed.stdout and "fails on purpose" in listed.stdout
    shown = quanzi(settings, "jobs", "show", "doomed")
    assert "Traceback" in shown.stdout and "attempts: 3" in shown.stdout
    assert quanzi(settings, "jobs", "retry", "doomed").returncode == 0
    queued = quanzi(settings, "jobs", "list", "queued")
    assert "doomed" in queued.stdout
    # only a dead job can be dropped (a queued one is not the operator's to delete)
    refused = quanzi(settings, "jobs", "drop", "doomed")
    assert refused.returncode == 1 and "No dead job" in refused.stderr
    services = Services(settings)
    await services.start(work=True)
    try:
        await wait_until_dead(services, "doomed")
    finally:
        await services.stop()
    assert quanzi(settings, "jobs", "drop", "doomed").returncode == 0
    assert "0 job(s) dead" in quanzi(settings, "jobs", "list").stdout
    missing = quanzi(settings, "jobs", "show", "doomed")
    assert missing.returncode == 1 and "No job 'doomed'" in missing.stderr
