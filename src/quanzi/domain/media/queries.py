"""Who may fetch a media file."""

from __future__ import annotations

from sqlalchemy import select

from quanzi.db.models import Account, Conversation, Media, Member, Message, Post, PostMedia
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.views import FORMER
from quanzi.domain.moments.queries import moment_media_visible
from quanzi.domain.square.queries import visible
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound


async def access_media(tx: Tx, viewer: Principal | None, media_id: int) -> Media:
    """The media if `viewer` may fetch it, else NotFound (the same for missing and hidden).

    The owner may always; an avatar of an active account is public; media not attached to
    anything is the owner's alone. Areas that attach media (posts, Moments, chats) add their
    rule here, so every door that serves a file asks the same question.
    """
    media = await tx.session.get(Media, media_id)
    if media is None:
        raise NotFound("No such media.")
    if viewer is not None and viewer.account_id == media.owner_id:
        return media
    if media.attached_to == "avatar":
        owner = await tx.session.get(Account, media.owner_id)
        if owner is not None and owner.status == "active" and owner.avatar_id == media.id:
            return media
    elif viewer is not None and media.attached_to == "message":
        # Members who may read the message that carries it (not those who joined later or
        # left before it was sent).
        rows = await tx.session.execute(
            select(Member.joined_seq, Member.left_seq, Message.seq)
            .join(Message, Message.conversation_id == Member.conversation_id)
            .where(
                Message.media_id == media.id,
                Member.account_id == viewer.account_id,
                Member.state != "invited",
            )
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
        # the group as it was when they went, without a picture (chat/views.ConversationRead).
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
