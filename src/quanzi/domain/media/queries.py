"""Who may describe a media, and which URL of a media file works (domain/media/urls.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BindParameter, bindparam, select

from quanzi.db.models import (
    Account,
    Conversation,
    Media,
    Member,
    Message,
    MessageMedia,
    Moment,
    MomentMedia,
    Post,
    PostMedia,
)
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.shapes import FORMER
from quanzi.domain.media.shapes import MediaRead
from quanzi.domain.media.urls import TOKEN_LENGTH, UPLOAD, Holder, MediaUrls
from quanzi.domain.moments.queries import moment_media_visible
from quanzi.domain.relations import is_blocked
from quanzi.domain.square.queries import visible
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.ids import MAX_ID


async def access_media(tx: Tx, viewer: Principal | None, media_id: int) -> Media:
    """The media if `viewer` may see it, else NotFound (the same for missing and hidden):
    what decides who may describe it (`GET /api/quanzi/v1/media/{id}`) and so be handed its
    URLs again. Its files are served by URL alone (`media_by_url`).

    The owner may always; an avatar of an active account is as public as its profile; media
    not attached to anything is the owner's alone. Areas that attach media (posts, Moments,
    chats) add their rule here, so every door that describes media asks the same question.
    """
    media = await tx.session.get(Media, media_id)
    if media is None:
        raise NotFound("No such media.")
    if viewer is not None and viewer.account_id == media.owner_id:
        return media
    if media.attached_to == "avatar":
        # As public as its account's profile: not to someone the account blocked.
        owner = await tx.session.get(Account, media.owner_id)
        if (
            owner is not None
            and owner.status == "active"
            and owner.avatar_id == media.id
            and (viewer is None or not await is_blocked(tx, owner.id, viewer.account_id))
        ):
            return media
    elif viewer is not None and media.attached_to in ("message", "record"):
        # Members who may read the message that carries it (not those who joined later or
        # left before it was sent).
        query = select(Member.joined_seq, Member.left_seq, Message.seq).join(
            Message, Message.conversation_id == Member.conversation_id
        )
        if media.attached_to == "message":
            query = query.where(Message.media_id == media.id)
        else:
            query = query.join(MessageMedia, MessageMedia.message_id == Message.id).where(
                MessageMedia.media_id == media.id, Message.kind == "record"
            )
        rows = await tx.session.execute(
            query.where(Member.account_id == viewer.account_id, Member.state != "invited")
        )
        for joined, left, seq in rows.all():
            if seq >= joined and (left is None or seq <= left):
                return media
    elif media.attached_to == "post":
        shown = await tx.session.scalar(
            select(PostMedia.post_id)
            .join(Post, Post.id == PostMedia.post_id)
            .where(PostMedia.media_id == media.id, visible(viewer))
            .limit(1)
        )
        if shown is not None:
            return media
    elif viewer is not None and media.attached_to == "moment":
        if await moment_media_visible(tx, viewer, media.id):
            return media
    elif viewer is not None and media.attached_to == "group_avatar":
        # Members and invitees of a group that shows it; not former members, who are shown
        # the group as it was when they went, without a picture (chat/shapes.ConversationRead).
        found = await tx.session.scalar(
            select(Member.account_id)
            .join(Conversation, Conversation.id == Member.conversation_id)
            .where(
                Conversation.avatar_id == media.id,
                Member.account_id == viewer.account_id,
                Member.state.not_in(FORMER),
            )
            .limit(1)
        )
        if found is not None:
            return media
    raise NotFound("No such media.")


# What a media is shown with now (the holders its URLs may be signed for): one indexed read.
MEDIA: BindParameter[int] = bindparam("media")
_HOLDERS = {
    "avatar": select(Account.id)
    .join(Media, Media.owner_id == Account.id)
    .where(Media.id == MEDIA, Account.avatar_id == MEDIA, Account.status == "active"),
    "group_avatar": select(Conversation.id).where(Conversation.avatar_id == MEDIA),
    "post": select(PostMedia.post_id)
    .join(Post, Post.id == PostMedia.post_id)
    .where(PostMedia.media_id == MEDIA, Post.deleted_at.is_(None)),
    "moment": select(MomentMedia.moment_id)
    .join(Moment, Moment.id == MomentMedia.moment_id)
    .where(MomentMedia.media_id == MEDIA, Moment.deleted_at.is_(None)),
    "message": select(Message.id).where(Message.media_id == MEDIA),
    # a chat record's pictures, while it is not recalled or erased
    "record": select(MessageMedia.message_id)
    .join(Message, Message.id == MessageMedia.message_id)
    .where(MessageMedia.media_id == MEDIA, Message.kind == "record"),
}


async def holders_of(tx: Tx, media: Media) -> list[Holder]:
    """What `media` is attached to now (several groups may show one picture); media attached
    to nothing is held by its owner alone (UPLOAD)."""
    if media.attached_to is None:
        return [Holder(UPLOAD, media.owner_id)]
    statement = _HOLDERS.get(media.attached_to)
    if statement is None:
        return []
    found = await tx.session.scalars(statement, {"media": media.id})
    version = media.url_version if media.attached_to == "moment" else 0
    return [Holder(media.attached_to, i, version) for i in found]


async def describe_media(tx: Tx, media: Media) -> MediaRead:
    """`media` (already accessed) with URLs signed for what it is attached to now; or, for
    media attached to something gone (which only its owner may still describe), for its
    owner's upload: URLs that serve nothing. No read for media attached to nothing."""
    holders = await holders_of(tx, media)
    return MediaRead.of(
        media, tx.media_urls, holders[0] if holders else Holder(UPLOAD, media.owner_id)
    )


async def media_by_url(tx: Tx, urls: MediaUrls, media_id: str, token: str) -> Media:
    """The media whose file URL (`/media/<media_id>/<token>`) this is, if that URL works now.
    A guessed, tampered or stale URL raises the same NotFound as a missing media."""
    number = int(media_id) if media_id.isascii() and media_id.isdigit() else 0
    if 0 < number <= MAX_ID and str(number) == media_id and len(token) == TOKEN_LENGTH:
        media = await tx.session.get(Media, number)
        if media is not None:
            for holder in await holders_of(tx, media):
                if urls.matches(token, media.id, holder):
                    return media
    raise NotFound("No such media.")


async def image_sizes(tx: Tx, media_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The width and height of each of these images (of ones the caller already may show), so a
    page can lay them out before they load."""
    wanted = set(media_ids)
    if not wanted:
        return {}
    rows = await tx.session.execute(
        select(Media.id, Media.width, Media.height).where(Media.id.in_(wanted))
    )
    return {media_id: (width, height) for media_id, width, height in rows}
