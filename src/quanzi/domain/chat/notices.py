"""What members are told of a change: a system notice appended to the conversation at the
next seq (as every message is, `append.py`), live `message.new` events for the notices, and
`conversation.updated` for devices to refresh a conversation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from quanzi.db.models import Conversation
from quanzi.domain.chat.append import append_message
from quanzi.domain.chat.shapes import MessageRead, MessageRow
from quanzi.domain.events import CONVERSATION_UPDATED, MESSAGE_NEW, ConversationChange
from quanzi.domain.tx import Tx


async def system_message(
    tx: Tx, conv: Conversation, event: str, actor: int | None, **details: Any
) -> MessageRow:
    """A notice of what happened to the group (joins, leaves, renames), at the next seq."""
    body = {"event": event, "actor": str(actor) if actor else None, **details}
    return await append_message(
        tx, conv, sender_id=None, kind="system", body=orjson.dumps(body).decode()
    )


def announce(tx: Tx, messages: Iterable[MessageRow], members: list[int]) -> None:
    """Push messages to every active member's devices after commit."""
    urls = tx.media_urls
    for message in messages:
        tx.emit(MESSAGE_NEW(MessageRead.of(message, urls), users=members))


def touched(
    tx: Tx, conv: Conversation, users: Iterable[int], *, version: int | None = None
) -> None:
    """Tell members' devices to refresh a conversation (settings, membership, name)."""
    change = ConversationChange(conversation_id=conv.id, version=version or conv.version)
    tx.emit(CONVERSATION_UPDATED(change, users=users))
