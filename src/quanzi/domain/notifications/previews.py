"""What a notification is about, in a few words: the comment, the first words of the post or
Moment, the message that mentioned me, the greeting of a friend request.

A notification stores ids, never the text it is about: the text is read when the list is
shown, through the same visibility rules as the thing itself, so a comment deleted, a post
hidden from me since, a Moment I may no longer see or a message recalled shows no preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select

from quanzi.db.models import Member, Message, Moment, MomentComment
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.moments.rules import interaction_visible, moment_visible
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.domain.square.comments import comments_among
from quanzi.domain.square.queries import visible_among
from quanzi.domain.tx import Tx
from quanzi.kit.text import shorten

PREVIEW_CHARS = 60

POST_KINDS = frozenset({"mention", "like", "repost"})
COMMENT_KINDS = frozenset({"comment", "reply", "comment_like"})
MOMENT_COMMENT_KINDS = frozenset({"moment_comment", "moment_reply"})


def data_id(data: dict[str, Any], key: str) -> int | None:
    """An id a notification's data names (ids are strings there), or None."""
    text = str(data.get(key) or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None


async def preview_notifications(
    tx: Tx, viewer: Principal, notifications: Sequence[NotificationRead]
) -> dict[int, str]:
    """A short preview for each notification that has one the viewer may see, by id (a few
    queries for a whole page, none for kinds without one)."""
    wanted: dict[str, set[int]] = {"post": set(), "comment": set(), "moment": set(), "mc": set()}
    chats: set[tuple[int, int]] = set()
    for n in notifications:
        data = n.data
        if n.kind in POST_KINDS:
            wanted["post"] |= {i for i in (data_id(data, "post_id"), data_id(data, "of")) if i}
        elif n.kind in COMMENT_KINDS:
            wanted["comment"] |= {i for i in (data_id(data, "comment_id"),) if i}
        elif n.kind == "moment_like":
            wanted["moment"] |= {i for i in (data_id(data, "moment_id"),) if i}
        elif n.kind in MOMENT_COMMENT_KINDS:
            wanted["mc"] |= {i for i in (data_id(data, "comment_id"),) if i}
        elif n.kind == "chat_mention":
            conv, seq = data_id(data, "conversation_id"), data_id(data, "seq")
            if conv and seq:
                chats.add((conv, seq))
    posts = {p.id: p.text for p in await visible_among(tx, viewer, sorted(wanted["post"]))}
    found_comments = await comments_among(tx, viewer, sorted(wanted["comment"]))
    comments = {c.id: c.text for c, _ in found_comments}
    moments = await _moment_texts(tx, viewer, wanted["moment"])
    moment_comments = await _moment_comment_texts(tx, viewer, wanted["mc"])
    messages = await _message_texts(tx, viewer, chats)
    texts: dict[int, str] = {}
    for n in notifications:
        data = n.data
        found: str | None = None
        if n.kind == "friend_request":
            found = str(data.get("greeting") or "")
        elif n.kind in POST_KINDS:
            found = posts.get(data_id(data, "post_id") or 0) or posts.get(data_id(data, "of") or 0)
        elif n.kind in COMMENT_KINDS:
            found = comments.get(data_id(data, "comment_id") or 0)
        elif n.kind == "moment_like":
            found = moments.get(data_id(data, "moment_id") or 0)
        elif n.kind in MOMENT_COMMENT_KINDS:
            found = moment_comments.get(data_id(data, "comment_id") or 0)
        elif n.kind == "chat_mention":
            found = messages.get((data_id(data, "conversation_id") or 0, data_id(data, "seq") or 0))
        if found and (short := shorten(found, PREVIEW_CHARS)):
            texts[n.id] = short
    return texts


async def _moment_texts(tx: Tx, viewer: Principal, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await tx.session.execute(
        select(Moment.id, Moment.text).where(
            Moment.id.in_(sorted(ids)), moment_visible(viewer.account_id, tx.now)
        )
    )
    return dict(rows.tuples().all())


async def _moment_comment_texts(tx: Tx, viewer: Principal, ids: set[int]) -> dict[int, str]:
    """Comments on Moments as `access_comment` lets the viewer see them: on a Moment they may
    see, not deleted, between people they may see interact."""
    if not ids:
        return {}
    me = viewer.account_id
    rows = await tx.session.execute(
        select(MomentComment.id, MomentComment.text)
        .join(Moment, Moment.id == MomentComment.moment_id)
        .where(
            MomentComment.id.in_(sorted(ids)),
            MomentComment.deleted_at.is_(None),
            moment_visible(me, tx.now),
            interaction_visible(me, MomentComment.author_id, MomentComment.reply_to_account_id),
        )
    )
    return dict(rows.tuples().all())


async def _message_texts(
    tx: Tx, viewer: Principal, wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Text messages the viewer may read (`list_messages`: sent while they were a member),
    by (conversation, seq); a recalled message has no text any more."""
    if not wanted:
        return {}
    rows = await tx.session.execute(
        select(Message.conversation_id, Message.seq, Message.body)
        .join(
            Member,
            and_(
                Member.conversation_id == Message.conversation_id,
                Member.account_id == viewer.account_id,
            ),
        )
        .where(
            or_(*(and_(Message.conversation_id == c, Message.seq == s) for c, s in sorted(wanted))),
            Message.kind == "text",
            Member.state != "invited",
            Message.seq >= Member.joined_seq,
            or_(Member.left_seq.is_(None), Message.seq <= Member.left_seq),
        )
    )
    return {(conv, seq): body for conv, seq, body in rows}
