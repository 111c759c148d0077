"""Forwarding messages to another chat: one by one (each a message of its own, as if the
forwarder had written it; a picture copied as an upload of theirs), or merged into one chat
record (合并转发, kind "record").

A record's body is a snapshot (JSON) of what was forwarded: each message's sender and their
name as it was shown, its kind, words and time, and its picture, a copy that the record
holds (`message_media`, `attached_to` "record": its URLs are signed for the record message and
end when it is recalled or erased, media/queries.holders_of). A record forwarded in a record is
kept one level deep: a record inside it shows as a "[Chat history]" line. The title is stored
as its parts (a group's history, or the two people of a direct chat) and said in each reader's
language when shown.

Only what the forwarder may read is forwarded (queries.quoted_messages: not before they
joined, not after they left), and only messages with words, a picture or a record: not a
notice, not a recalled message. The new messages go through the writer of every send
(send.py), under its rules for the target chat, and a retried forward (same client message
id) returns what the first one sent without copying anything again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from quanzi.db.models import Conversation, Message
from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.append import MESSAGE_COLUMNS
from quanzi.domain.chat.queries import COUNTED_KINDS, quoted_messages
from quanzi.domain.chat.send import CLIENT_MSG_ID_RE, Draft
from quanzi.domain.chat.shapes import MessageRow
from quanzi.domain.media.actions import copy_image
from quanzi.errors import Invalid, NotFound

if TYPE_CHECKING:
    from quanzi.domain.ports import ForwardWork
    from quanzi.domain.tx import Tx

MAX_FORWARD = 100  # messages in one forward
MAX_PICTURES = 100  # pictures copied into one record (its nested record's included)
MAX_BASE_ID = 56  # a forward's client message id; one by one, the i-th is "<id>~<i>"


def check_forward(seqs: Sequence[int], client_msg_id: str) -> list[int]:
    """The seqs to forward, in order and without repeats; what is wrong with the request
    before the database is asked."""
    if len(client_msg_id) > MAX_BASE_ID or not CLIENT_MSG_ID_RE.match(client_msg_id):
        raise Invalid(
            f"client_msg_id is 1 to {MAX_BASE_ID} printable ASCII characters.",
            code="invalid_client_msg_id",
            details={"field": "client_msg_id"},
        )
    wanted = sorted(set(seqs))
    if not 1 <= len(wanted) <= MAX_FORWARD or wanted[0] < 1:
        raise Invalid(
            f"Choose 1 to {MAX_FORWARD} messages.", code="bad_selection", details={"field": "seqs"}
        )
    return wanted


async def do_forward(
    services: ForwardWork,
    viewer: Principal,
    from_id: int,
    seqs: Sequence[int],
    to_id: int,
    *,
    merged: bool,
    client_msg_id: str,
) -> tuple[list[MessageRow], bool]:
    """Forward messages of chat `from_id` to chat `to_id`: one message per forwarded one, or
    (`merged`) one record. Returns the messages sent, and whether all of them had been sent
    before (a retry)."""
    wanted = check_forward(seqs, client_msg_id)
    keys = [client_msg_id] if merged else [f"{client_msg_id}~{i}" for i in range(len(wanted))]
    async with services.read() as tx:
        sent = await _sent_before(tx, viewer, to_id, keys)
        if len(sent) == len(keys):  # a retry of a forward that went through
            return [sent[key] for key in keys], True
        messages = await _forwardable(tx, viewer, from_id, wanted)
        conv = await tx.session.get(Conversation, from_id)
        assert conv is not None  # quoted_messages has checked it
        people = _direct_people(conv) if conv.kind == "direct" else []
        accounts = await load_account_rows(
            tx, {m.sender_id for m in messages if m.sender_id} | set(people)
        )
    names = {i: a.display_name for i, a in accounts.items()}
    pictures = sum(_pictures(m) for m in messages)
    if pictures > MAX_PICTURES:
        raise Invalid(
            f"At most {MAX_PICTURES} pictures in one chat record.",
            code="too_many_pictures",
            details={"field": "seqs"},
        )
    if merged:
        items, media = [], []
        for message in messages:
            item, copies = await _item(services, viewer, message, names)
            items.append(item)
            media += copies
        title = {"group": conv.kind == "group", "names": [names.get(p, "") for p in people]}
        body = orjson.dumps({"title": title, "items": items}).decode()
        draft = Draft(client_msg_id=keys[0], record=body, record_media=tuple(media))
        record, again = await services.sender.send(viewer, to_id, draft)
        return [record], again
    out, replays = [], 0
    for key, message in zip(keys, messages, strict=True):
        if key in sent:
            out.append(sent[key])
            replays += 1
            continue
        draft = await _copy(services, viewer, message, key)
        one, again = await services.sender.send(viewer, to_id, draft)
        out.append(one)
        replays += again
    return out, replays == len(out)


async def _sent_before(
    tx: Tx, viewer: Principal, to_id: int, keys: list[str]
) -> dict[str, MessageRow]:
    rows = await tx.session.execute(
        select(Message).where(
            Message.conversation_id == to_id,
            Message.sender_id == viewer.account_id,
            Message.client_msg_id.in_(keys),
        )
    )
    return {m.client_msg_id: _row(m) for m in rows.scalars() if m.client_msg_id}


def _row(m: Message) -> MessageRow:
    return MessageRow(**{name: getattr(m, name) for name in MESSAGE_COLUMNS})


async def _forwardable(tx: Tx, viewer: Principal, from_id: int, seqs: list[int]) -> list[Message]:
    """The messages, in seq order, if the viewer may forward every one; else NotFound (the
    same for missing, unreadable, recalled and notices), naming the first that is not."""
    found = await quoted_messages(tx, viewer, from_id, seqs)
    for seq in seqs:
        message = found.get(seq)
        if message is None or message.kind not in COUNTED_KINDS:
            raise NotFound("No such message.", details={"field": "seqs", "seq": seq})
    return [found[seq] for seq in seqs]


def _direct_people(conv: Conversation) -> list[int]:
    low, _, high = (conv.direct_key or "").partition(":")
    return [int(low), int(high)] if high else []


def _pictures(message: Message) -> int:
    if message.kind == "image":
        return 1
    if message.kind != "record":
        return 0
    data = orjson.loads(message.body)
    return sum(
        1
        for item in data["items"]
        for one in (item, *((item.get("record") or {}).get("items", ())))
        if one.get("media_id")
    )


async def _item(
    services: ForwardWork,
    viewer: Principal,
    message: Message,
    names: dict[int, str],
) -> tuple[dict[str, Any], list[int]]:
    """A forwarded message as a record keeps it, with copies of its pictures (their ids)."""
    item: dict[str, Any] = {
        "sender_id": str(message.sender_id) if message.sender_id else None,
        "name": names.get(message.sender_id or 0, ""),
        "kind": message.kind,
        "text": message.body if message.kind != "record" else "",
        "created_at": message.created_at.isoformat(),
        "media_id": None,
    }
    media: list[int] = []
    if message.media_id is not None:
        copy = (await copy_image(services, viewer, message.media_id)).id
        item["media_id"] = str(copy)
        media.append(copy)
    if message.kind == "record":  # its own records inside stay as lines
        item["record"], media = await _recopy(
            services, viewer, orjson.loads(message.body), flatten=True
        )
    return item, media


async def _recopy(
    services: ForwardWork, viewer: Principal, data: dict[str, Any], *, flatten: bool
) -> tuple[dict[str, Any], list[int]]:
    """A record's snapshot with its pictures copied; `flatten` drops the records inside its
    items (they stay as "[Chat history]" lines)."""
    items, media = [], []
    for old in data["items"]:
        item = dict(old)
        if flatten:
            item.pop("record", None)
        for one in (item, *((item.get("record") or {}).get("items", ()))):
            if one.get("media_id"):
                copy = (await copy_image(services, viewer, int(one["media_id"]))).id
                one["media_id"] = str(copy)
                media.append(copy)
        items.append(item)
    return {"title": data["title"], "items": items}, media


async def _copy(services: ForwardWork, viewer: Principal, message: Message, key: str) -> Draft:
    """A forwarded message as a message of its own: a record stays the record it was."""
    if message.kind == "record":
        body, media = await _recopy(services, viewer, orjson.loads(message.body), flatten=False)
        return Draft(
            client_msg_id=key, record=orjson.dumps(body).decode(), record_media=tuple(media)
        )
    media_id = None
    if message.media_id is not None:
        media_id = (await copy_image(services, viewer, message.media_id)).id
    return Draft(client_msg_id=key, text=message.body, media_id=media_id)
