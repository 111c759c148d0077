"""Chat frames a client sends on the stream: "message.send", "typing", "read".

`message.send` carries the same fields as POST .../messages plus `conversation_id`; the answer
is "message.ack" (with the message, and `replayed` for a retry) or "message.error", both with
the client's `client_msg_id`. Every member's devices (the sender's too) also get "message.new".
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError

from quanzi.api.native import frames
from quanzi.api.native.chat.schemas import MessageCreate
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.messages import do_mark_read
from quanzi.domain.chat.presence import announce_typing
from quanzi.domain.chat.shapes import MessageRead
from quanzi.errors import QuanziError
from quanzi.kit.wire import Id
from quanzi.realtime.connection import Connection
from quanzi.realtime.gateway import frame
from quanzi.services import Services

TYPING_EVERY = 2.0  # seconds between typing notices for one conversation from one socket


class StreamSend(MessageCreate):
    conversation_id: Id


def _error(code: str, message: str, **extra: Any) -> str:
    return frame(frames.MESSAGE_ERROR, {"code": code, "message": message, **extra})


async def send(
    services: Services, conn: Connection, principal: Principal, data: dict[str, Any]
) -> None:
    data = {k: v for k, v in data.items() if k != "type"}
    client_msg_id = data.get("client_msg_id")
    try:
        body = StreamSend.model_validate(data)
    except ValidationError as invalid:
        problem = invalid.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        conn.push(
            _error("invalid_request", f"{where}: {problem['msg']}", client_msg_id=client_msg_id)
        )
        return
    try:
        message, replayed = await services.sender.send(
            principal, body.conversation_id, body.draft()
        )
    except QuanziError as refused:
        conn.push(_error(refused.code, refused.message, client_msg_id=client_msg_id))
        return
    conn.push(
        frame(
            frames.MESSAGE_ACK,
            {
                "client_msg_id": client_msg_id,
                "replayed": replayed,
                "message": MessageRead.of(message, services.media_urls).model_dump(mode="json"),
            },
        )
    )


def _conversation_id(data: dict[str, Any]) -> int | None:
    raw = data.get("conversation_id")
    text = str(raw) if isinstance(raw, str | int) else ""
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


async def typing(
    services: Services, conn: Connection, principal: Principal, data: dict[str, Any]
) -> None:
    """Best effort and silent: nothing is answered, and nothing is said to a non-member."""
    conversation_id = _conversation_id(data)
    if conversation_id is None:
        return
    scratch = conn.scratch if conn.scratch is not None else {}
    conn.scratch = scratch
    last: dict[int, float] = scratch.setdefault("typed_at", {})
    now = time.monotonic()
    if now - last.get(conversation_id, -TYPING_EVERY) < TYPING_EVERY:
        return
    last[conversation_id] = now
    await announce_typing(services.read, services.bus, principal, conversation_id)


async def read(
    services: Services, conn: Connection, principal: Principal, data: dict[str, Any]
) -> None:
    conversation_id = _conversation_id(data)
    seq = data.get("seq")
    if conversation_id is None or not isinstance(seq, int) or seq < 0:
        conn.push(
            frame(
                frames.ERROR,
                {"code": "bad_frame", "message": "read needs conversation_id and seq."},
            )
        )
        return
    try:
        async with services.write() as tx:
            await do_mark_read(tx, principal, conversation_id, seq)
    except QuanziError as refused:
        conn.push(frame(frames.ERROR, {"code": refused.code, "message": refused.message}))
