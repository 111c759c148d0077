"""A member's writes on the messages of a conversation other than sending (`send.py`):
moving the read cursor, and recalling a message (a "recall" notice is appended, as every
message is, `append.py`)."""

from __future__ import annotations

import orjson
from sqlalchemy import select, update

from quanzi.db.models import Media, Message, MessageMedia
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.append import append_message
from quanzi.domain.chat.notices import announce
from quanzi.domain.chat.queries import (
    COUNTED_KINDS,
    access_conversation,
    active_member_ids,
    total_unread,
)
from quanzi.domain.chat.shapes import MessageRow
from quanzi.domain.events import CONVERSATION_READ, ReadState
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, NotFound
from quanzi.kit.ids import new_id


async def do_mark_read(tx: Tx, viewer: Principal, conversation_id: int, seq: int) -> int:
    """Move my read cursor forward to `seq` (never back); returns my unread count after."""
    conv, me = await access_conversation(tx, viewer, conversation_id)
    last = conv.last_seq if me.left_seq is None else min(conv.last_seq, me.left_seq)
    target = min(seq, last)
    if target > me.read_seq:
        me.read_seq = target
        me.version = new_id()
        await tx.session.flush()
    total, counts = await total_unread(tx, viewer)
    unread = counts.get(conv.id, 0)
    cursor = ReadState(
        conversation_id=conv.id, read_seq=me.read_seq, unread=unread, total_unread=total
    )
    tx.emit(CONVERSATION_READ(cursor, users=[viewer.account_id]))
    return unread


# Recall


async def do_recall(tx: Tx, viewer: Principal, conversation_id: int, seq: int) -> MessageRow:
    """Take back a message I sent, within QUANZI_RECALL_SECONDS. Its content is erased and a
    "recall" notice is appended, so every member, live or catching up, learns of it."""
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    if me.state != "active":
        raise Forbidden("You are not a member of this conversation any more.", code="not_a_member")
    message = await tx.session.scalar(
        select(Message).where(Message.conversation_id == conv.id, Message.seq == seq)
    )
    if message is None or message.seq < me.joined_seq:
        raise NotFound("No such message.")
    if message.sender_id != viewer.account_id or message.kind not in COUNTED_KINDS:
        raise Forbidden("You can only recall your own messages.", code="not_yours")
    if (tx.now - message.created_at).total_seconds() > tx.settings.recall_seconds:
        raise Conflict("Too late to recall this message.", code="recall_window_passed")
    if message.media_id is not None:
        await tx.session.execute(
            update(Media).where(Media.id == message.media_id).values(attached_to=None)
        )
    if message.kind == "record":  # its pictures' URLs end with it (media/queries.holders_of)
        held = select(MessageMedia.media_id).where(MessageMedia.message_id == message.id)
        await tx.session.execute(update(Media).where(Media.id.in_(held)).values(attached_to=None))
    message.kind, message.body, message.media_id, message.mentions = "recalled", "", None, ""
    message.recalled_at = tx.now
    notice = await append_message(
        tx,
        conv,
        sender_id=viewer.account_id,
        kind="recall",
        body=orjson.dumps({"event": "recall"}).decode(),
        reply_to_seq=seq,
    )
    await tx.session.flush()
    announce(tx, [notice], await active_member_ids(tx, conv.id))
    return notice
