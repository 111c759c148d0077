"""Erasing media that nothing uses any more.

An upload belongs to nothing until a post, Moment, message or avatar takes it, and goes back to
belonging to nothing when that is deleted, recalled or replaced. Such media is its owner's alone
(`access_media`); once it is `QUANZI_MEDIA_UNATTACHED_HOURS` old it is erased, row and files, so
deleting something also deletes its images. Every process sweeps every SWEEP_EVERY seconds; two
sweeps at once are harmless (a row is deleted once, by one of them, which removes its files).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from quanzi.db.models import Media
from quanzi.obs.logging import get_logger

if TYPE_CHECKING:
    from quanzi.services import Services

log = get_logger("quanzi.media")

FIRST_SWEEP = 60.0  # seconds after start
SWEEP_EVERY = 3600.0
BATCH = 500  # rows per transaction, so a large backlog never holds the writer for long


async def sweep_unattached(services: Services, now: datetime | None = None) -> int:
    """Erase the media attached to nothing that is old enough; returns how many were erased."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=services.settings.media_unattached_hours)
    erased = 0
    while True:
        async with services.write() as tx:
            doomed = (
                select(Media.id)
                .where(Media.attached_to.is_(None), Media.created_at < cutoff)
                .limit(BATCH)
                .scalar_subquery()
            )
            rows = await tx.session.execute(
                delete(Media)
                .where(Media.id.in_(doomed), Media.attached_to.is_(None))
                .returning(Media.file_key, Media.thumb_key)
                .execution_options(synchronize_session=False)
            )
            keys = [key for row in rows.all() for key in row]
        services.media_store.delete_many(keys)
        erased += len(keys) // 2
        if len(keys) < 2 * BATCH:
            return erased


class MediaSweeper:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="quanzi-media-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _forever(self) -> None:
        await asyncio.sleep(FIRST_SWEEP)
        while True:
            try:
                erased = await sweep_unattached(self._services)
            except Exception:
                log.warning("unattached media not swept", exc_info=True)
            else:
                if erased:
                    log.info("unattached media erased", count=erased)
            await asyncio.sleep(SWEEP_EVERY)
