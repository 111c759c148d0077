"""Claiming uploads: the one rule for every path that attaches a media to something (a chat
message, the pictures of a chat record, a square post, a Moment, an account's avatar, a
group's picture), as Zulip has one `do_claim_attachments` for send and edit alike.

An upload is its owner's alone and attached to nothing (`media.attached_to` is NULL) until
something claims it; from then on its URLs are signed for that holder (`urls.Holder`: the
`attached_to` kind and the holder's row), and serving accepts them only while the holder
shows it (`queries.media_by_url`). A picture attached to a post, a Moment or a message is used
once: to show it elsewhere, upload it again. An avatar or a group picture may be claimed again
by the same kind (setting the same avatar twice; several groups may show one picture), which
signs it for one more holder of that kind and for no other.

What lets the media go again (deleting, recalling, replacing) stays with each area, since only
it knows whether the media is still shown: it sets `attached_to` back to NULL (and Moments
renew their photos' URLs when an audience shrinks, `moments.actions.renew_photo_urls`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from sqlalchemy import select

from quanzi.db.models import Media
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid, NotFound

MediaKind = Literal["message", "record", "post", "moment", "avatar", "group_avatar"]
# Kinds that may claim a media already attached to the same kind.
SHAREABLE: frozenset[str] = frozenset({"avatar", "group_avatar"})


def media_in_use(field: str) -> Invalid:
    """The one answer for an upload that something else holds already."""
    return Invalid(
        "That image was already used; upload it again.",
        code="media_in_use",
        details={"field": field},
    )


async def claim_media(
    tx: Tx,
    owner_id: int,
    media_ids: Sequence[int],
    kind: MediaKind,
    *,
    field: str,
    keep: Collection[int] = (),
) -> list[Media]:
    """Attach `media_ids` (in this order, without repeats) to a `kind`; returns them.

    Each must be an upload of `owner_id` (else NotFound, the same for missing and someone
    else's) that nothing holds yet, or that a holder of the same kind holds when the kind is
    SHAREABLE, or that is in `keep` (the media the holder has already, when it is edited);
    else `media_in_use`, naming `field` of the request. Nothing is attached unless all pass.
    One read for all of them."""
    if not media_ids:
        return []
    found = {
        m.id: m
        for m in (
            await tx.session.execute(
                select(Media).where(Media.id.in_(media_ids), Media.owner_id == owner_id)
            )
        ).scalars()
    }
    if len(found) != len(set(media_ids)):
        raise NotFound("No such media.")
    media = [found[i] for i in media_ids]
    for m in media:
        if not (
            m.attached_to is None or m.id in keep or (m.attached_to == kind and kind in SHAREABLE)
        ):
            raise media_in_use(field)
    for m in media:
        m.attached_to = kind
    return media


async def claim_one(
    tx: Tx, owner_id: int, media_id: int | None, kind: MediaKind, *, field: str
) -> int | None:
    """`claim_media` for a field that holds one media or none; returns its id."""
    if media_id is not None:
        await claim_media(tx, owner_id, [media_id], kind, field=field)
    return media_id
