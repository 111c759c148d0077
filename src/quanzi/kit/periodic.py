"""A task that each process runs in the background every so often, until the process stops:
for work on what is the process's own (flushing what it collected in memory, polling for its
sockets). Work for the whole site runs as a periodic job of the durable queue instead, once per
tick on one process; jobs/periodic.py lists both kinds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from quanzi.obs.logging import get_logger

log = get_logger("quanzi.periodic")


class Periodic:
    """Runs `job` `every` seconds after `start`, then every `every` seconds counted from the
    start of each run, at least a second apart. A run that raises is
    logged with `failed` and the next one comes as usual."""

    def __init__(
        self,
        name: str,
        job: Callable[[], Awaitable[Any]],
        every: float,
        *,
        failed: str,
    ) -> None:
        self._name = name
        self._job = job
        self._every = every
        self._failed = failed
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name=self._name)

    async def stop(self) -> None:
        """Cancel the task (a run in progress is cancelled with it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _forever(self) -> None:
        await asyncio.sleep(self._every)
        while True:
            started = time.monotonic()
            try:
                await self._job()
            except Exception:
                log.warning(self._failed, job=self._name, exc_info=True)
            await asyncio.sleep(max(1.0, self._every - (time.monotonic() - started)))
