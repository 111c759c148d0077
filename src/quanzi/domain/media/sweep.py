"""Erasing media that nothing uses any more.

An upload belongs to nothing until a post, Moment, message or avatar takes it, and goes back to
belonging to nothing when that is deleted, recalled or replaced. Such media is its owner's alone
(`access_media`); once it is `QUANZI_MEDIA_UNATTACHED_HOURS` old it is erased, row and files, so
deleting something also deletes its images. The sweep is a periodic job (jobs/periodic.py: once
an hour, one process per tick); two sweeps at once would still be harmless (a row is deleted
once, by one of them, which removes its files).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from quanzi.db.models import Media
from quanzi.domain.media.storage import MediaStore
from quanzi.domain.tx import Tx

BATCH = 500  # rows per transaction, so a large backlog never holds the writer for long


async def sweep_unattached(
    write: Callable[[], AbstractAsyncContextManager[Tx]],
    store: MediaStore,
    older_than: timedelta,
    now: datetime | None = None,
) -> int:
    """Erase the media attached to nothing and `older_than` old, a batch per transaction
    opened with `write`, and their files from `store`; returns how many were erased."""
    cutoff = (now or datetime.now(UTC)) - older_than
    erased = 0
    while True:
        async with write() as tx:
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
        store.delete_many(keys)
        erased += len(keys) // 2
        if len(keys) < 2 * BATCH:
            return erased
