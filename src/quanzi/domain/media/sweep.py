"""Erasing media that nothing uses any more.

An upload belongs to nothing until a post, Moment, message or avatar takes it, and goes back to
belonging to nothing when that is deleted, recalled or replaced. Such media is its owner's alone
(`access_media`); once it is `QUANZI_MEDIA_UNATTACHED_HOURS` old it is erased, row and files, so
deleting something also deletes its images. Every process sweeps every SWEEP_EVERY seconds; two
sweeps at once are harmless (a row is deleted once, by one of them, which removes its files).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from quanzi.db.models import Media
from quanzi.kit.periodic import Periodic
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


def media_sweeper(services: Services) -> Periodic:
    async def sweep() -> None:
        erased = await sweep_unattached(services)
        if erased:
            log.info("unattached media erased", count=erased)

    return Periodic(
        "quanzi-media-sweeper",
        sweep,
        SWEEP_EVERY,
        first=FIRST_SWEEP,
        failed="unattached media not swept",
    )
