"""Appending messages: the one way a message gets its seq and is stored, for every path that
adds one (a member's send, batched in `send.py`; system notices, recall notices).

The caller holds the conversation rows locked (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite
has one writer) and knows their `last_seq`; `place` gives each new message the next seq, and
`store` writes them all, in SQLAlchemy Core: one insert for every message, one update moving
each conversation's `last_seq` (and `version`) to its last message, in the same transaction.
So within a conversation seq order is commit order, without gaps. The client message id
(unique per conversation and sender) is checked by the caller in that same transaction.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, case, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from quanzi.db.models import Conversation, Member, Message
from quanzi.domain.chat.shapes import MessageRow
from quanzi.domain.tx import Tx
from quanzi.kit.ids import new_id

MESSAGE_COLUMNS = tuple(f.name for f in fields(MessageRow))
MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
MEMBERS = cast(Table, Member.__table__)

# Built once: building a statement costs more in Python than running it on SQLite.
_INSERT_Q = insert(MESSAGES)
_ADVANCE_Q = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("cid"))
    .values(last_seq=bindparam("seq"), version=bindparam("ver"))
)
_READ_UP_TO_Q = (
    update(MEMBERS)
    .where(MEMBERS.c.conversation_id == bindparam("cid"), MEMBERS.c.account_id == bindparam("aid"))
    .values(
        read_seq=case(
            (MEMBERS.c.read_seq < bindparam("seq"), bindparam("seq")), else_=MEMBERS.c.read_seq
        )
    )
)


def place(
    next_seq: dict[int, int],
    conversation_id: int,
    now: datetime,
    *,
    sender_id: int | None,
    kind: str,
    body: str = "",
    media_id: int | None = None,
    reply_to_seq: int | None = None,
    mentions: str = "",
    client_msg_id: str | None = None,
) -> MessageRow:
    """A new message at the conversation's next seq (`next_seq` holds, per conversation, the
    last seq given out: the locked `last_seq`, then moved on here)."""
    next_seq[conversation_id] += 1
    return MessageRow(
        id=new_id(),
        conversation_id=conversation_id,
        seq=next_seq[conversation_id],
        sender_id=sender_id,
        kind=kind,
        body=body,
        media_id=media_id,
        reply_to_seq=reply_to_seq,
        mentions=mentions,
        client_msg_id=client_msg_id,
        created_at=now,
    )


async def store(
    tx: Tx, fresh: list[MessageRow], next_seq: dict[int, int], *, senders_read: bool = True
) -> dict[int, int]:
    """Write the messages `place` made: one insert for all, one update for all conversations
    touched (their `last_seq` and a new `version`, returned per conversation) and, unless
    `senders_read` is false, one for the senders' read cursors (sending reads the
    conversation up to what you sent)."""
    conn = await tx.connection()
    await conn.execute(
        _INSERT_Q, [{name: getattr(m, name) for name in MESSAGE_COLUMNS} for m in fresh]
    )
    versions = {cid: new_id() for cid in sorted({m.conversation_id for m in fresh})}
    await conn.execute(
        _ADVANCE_Q, [{"cid": cid, "seq": next_seq[cid], "ver": v} for cid, v in versions.items()]
    )
    if senders_read:
        read_up_to: dict[tuple[int, int], int] = {}
        for m in fresh:
            if m.sender_id is not None:
                key = (m.conversation_id, m.sender_id)
                read_up_to[key] = max(read_up_to.get(key, 0), m.seq)
        if read_up_to:
            await conn.execute(
                _READ_UP_TO_Q,
                [{"cid": c, "aid": a, "seq": seq} for (c, a), seq in read_up_to.items()],
            )
    return versions


async def append_message(
    tx: Tx,
    conv: Conversation,
    *,
    sender_id: int | None,
    kind: str,
    body: str,
    reply_to_seq: int | None = None,
) -> MessageRow:
    """A notice (system or recall) at the next seq of a conversation loaded, and locked,
    through the session: `place` and `store` for one message. The conversation's `last_seq`
    and `version` are then what was written (the session does not write them again); the
    sender's read cursor stays where it is."""
    next_seq = {conv.id: conv.last_seq}
    message = place(
        next_seq,
        conv.id,
        tx.now,
        sender_id=sender_id,
        kind=kind,
        body=body,
        reply_to_seq=reply_to_seq,
    )
    versions = await store(tx, [message], next_seq, senders_read=False)
    set_committed_value(conv, "last_seq", next_seq[conv.id])
    set_committed_value(conv, "version", versions[conv.id])
    return message
