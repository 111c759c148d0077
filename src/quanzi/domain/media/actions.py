"""Uploading media, and describing it (alt text)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from quanzi.db.models import Media
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.checks import text_field
from quanzi.domain.idempotency import Idempotency, create_once
from quanzi.domain.media.images import Limits, Processed, process_image
from quanzi.domain.media.queries import access_media
from quanzi.domain.media.storage import MediaStore
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, NotFound, PayloadTooLarge
from quanzi.kit.ids import new_id

MAX_DESCRIPTION = 1500  # characters of alt text (as Mastodon allows)

if TYPE_CHECKING:
    from quanzi.domain.ports import MediaWork


async def upload_image(
    services: MediaWork,
    viewer: Principal,
    raw: bytes,
    *,
    description: str | None = None,
    idempotency: Idempotency | None = None,
) -> tuple[Media, bool]:
    """Decode, re-encode and store an image, with its alt text if given; returns the media
    and whether it was a replay.

    The CPU work and the file writes happen before the transaction; if the transaction does
    not commit (or replays an earlier upload) the new files are removed again.
    """
    settings = services.settings
    if len(raw) > settings.media_max_bytes:
        raise PayloadTooLarge(f"Files are limited to {settings.media_max_bytes} bytes.")
    alt = check_description(description)
    limits = Limits(
        max_pixels=settings.media_max_pixels,
        max_frames=settings.media_max_frames,
        max_side=settings.media_max_side,
        thumb_side=settings.thumbnail_side,
    )
    processed = await asyncio.to_thread(process_image, raw, limits)
    store = services.media_store
    keys = (store.new_key(processed.main.ext), store.new_key(processed.thumb.ext))
    await asyncio.to_thread(_write_files, store, keys, processed)

    async def create(tx: Tx) -> Media:
        media = Media(
            id=new_id(),
            owner_id=viewer.account_id,
            content_type=processed.main.content_type,
            width=processed.main.width,
            height=processed.main.height,
            size=len(processed.main.data),
            animated=processed.animated,
            file_key=keys[0],
            thumb_key=keys[1],
            thumb_content_type=processed.thumb.content_type,
            thumb_width=processed.thumb.width,
            thumb_height=processed.thumb.height,
            attached_to=None,
            description=alt,
            created_at=tx.now,
        )
        tx.session.add(media)
        await tx.session.flush()
        return media

    try:
        done = await create_once(services, idempotency, "media", create)
    except BaseException:
        store.delete_many(keys)
        raise
    if done.made is not None:
        return done.made, False
    store.delete_many(keys)
    async with services.read() as tx:
        media = await tx.session.get(Media, done.id)
    if media is None:
        raise NotFound("No such media.")
    return media, True


def check_description(description: str | None) -> str | None:
    """Alt text cleaned (several lines allowed) and at most MAX_DESCRIPTION characters; empty
    means none."""
    if description is None:
        return None
    cleaned = text_field(
        description,
        field="description",
        what="A description",
        code="too_long",
        max_len=MAX_DESCRIPTION,
        lines=True,
    )
    return cleaned or None


async def do_describe_media(
    tx: Tx, viewer: Principal, media_id: int, description: str | None
) -> Media:
    """Set (or, with nothing, remove) the alt text of one's own image, attached or not."""
    media = await access_media(tx, viewer, media_id)
    if media.owner_id != viewer.account_id:
        raise Forbidden("That is not your image.", code="not_yours")
    media.description = check_description(description)
    return media


async def copy_image(services: MediaWork, viewer: Principal, media_id: int) -> Media:
    """A new upload of `viewer`'s with the picture of another media (forwarding a chat
    picture: a picture is attached to one holder only). The caller has checked that the
    viewer may see it."""
    async with services.read() as tx:
        media = await tx.session.get(Media, media_id)
    if media is None:
        raise NotFound("No such media.")
    raw = await asyncio.to_thread(services.media_store.path(media.file_key).read_bytes)
    copy, _ = await upload_image(services, viewer, raw, description=media.description)
    return copy


def _write_files(store: MediaStore, keys: tuple[str, str], processed: Processed) -> None:
    store.write(keys[0], processed.main.data)
    store.write(keys[1], processed.thumb.data)
