"""Sending messages, in batches.

A send is queued for this process's writer task, which takes everything queued since its last
round and writes it in one transaction: per conversation (in id order, so that processes lock
rows in the same order) one locked read of the conversation, one read of the senders'
memberships, one duplicate check, and one insert for all new messages. Each send is checked
before anything of it is written, so a refused send (not a member, too long, a non-friend)
fails alone while the rest of the batch commits. A send is answered only after its batch has
committed. If the batch fails in the database, each send is retried on its own.

The client message id makes a retried send return the original message: it is unique per
(conversation, sender), checked in the same transaction, and a duplicate within one batch is
answered with the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import bindparam, insert, or_, select

from quanzi.db.keyed import KeyedSelect
from quanzi.db.models import Block, MessageMedia
from quanzi.domain.accounts.sessions import Principal, ended_sessions
from quanzi.domain.chat.append import (
    CONVERSATIONS,
    MEMBERS,
    MESSAGE_COLUMNS,
    MESSAGES,
    place,
    store,
)
from quanzi.domain.chat.queries import MENTION_ALL
from quanzi.domain.chat.rules import direct_refusals
from quanzi.domain.chat.shapes import MessageRead, MessageRow
from quanzi.domain.events import MESSAGE_NEW
from quanzi.domain.media.claims import claim_media
from quanzi.domain.notifications.actions import NewNotification, do_notify_many
from quanzi.domain.push.actions import queue_message_pushes
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, Invalid, NotFound, QuanziError, Unauthorized
from quanzi.kit.text import clean_text
from quanzi.obs.logging import get_logger

if TYPE_CHECKING:
    from quanzi.config import Settings

CLIENT_MSG_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
MAX_MENTIONS = 100
MAX_BATCH = 256
log = get_logger("quanzi.chat")


@dataclass(frozen=True, slots=True)
class Draft:
    client_msg_id: str
    text: str = ""
    media_id: int | None = None
    reply_to_seq: int | None = None
    mentions: tuple[int, ...] = ()
    mention_all: bool = False
    # A chat record (forward.py): its body, already checked, and the copies of its pictures.
    record: str | None = None
    record_media: tuple[int, ...] = ()


def check_draft(draft: Draft, max_chars: int) -> Draft:
    """What can be said of a message without the database."""
    if not CLIENT_MSG_ID_RE.match(draft.client_msg_id):
        raise Invalid(
            "client_msg_id is 1 to 64 printable ASCII characters.",
            code="invalid_client_msg_id",
            details={"field": "client_msg_id"},
        )
    if draft.record is not None:
        return draft
    text = clean_text(draft.text)
    if len(text) > max_chars:
        raise Invalid(
            f"A message is at most {max_chars} characters.",
            code="too_long",
            details={"field": "text"},
        )
    if not text and draft.media_id is None:
        raise Invalid("A message needs text or an image.", code="empty_message")
    if len(draft.mentions) > MAX_MENTIONS:
        raise Invalid(f"At most {MAX_MENTIONS} mentions.", code="too_many_mentions")
    return replace(draft, text=text, mentions=tuple(dict.fromkeys(draft.mentions)))


@dataclass(slots=True)
class _Send:
    viewer: Principal
    conversation_id: int
    draft: Draft
    future: asyncio.Future[tuple[MessageRow, bool]] = field(repr=False)
    result: tuple[MessageRow, bool] | QuanziError | None = None


class MessageSender:
    """This process's writer of sends: `write` opens a write transaction (`Services.write`)."""

    def __init__(
        self, write: Callable[[], AbstractAsyncContextManager[Tx]], settings: Settings
    ) -> None:
        self._write_tx = write
        self._max_chars = settings.message_max_chars
        self._queue: list[_Send] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="quanzi-message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            await self._idle.wait()  # answer what was accepted before stopping
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send(
        self, viewer: Principal, conversation_id: int, draft: Draft
    ) -> tuple[MessageRow, bool]:
        """Send a message; returns it and whether it is a replay of an earlier send with the
        same client message id. Raises the QuanziError that refused it."""
        draft = check_draft(draft, self._max_chars)
        future: asyncio.Future[tuple[MessageRow, bool]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Send(viewer, conversation_id, draft, future))
        self._idle.clear()
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._write(batch)
            self._idle.set()

    async def _write(self, batch: list[_Send]) -> None:
        try:
            async with self._write_tx() as tx:
                await write_batch(tx, batch)
        except Exception as exc:
            if len(batch) > 1:
                log.warning("message batch failed; sending one by one", error=repr(exc))
                for send in batch:
                    send.result = None
                    await self._write([send])
                return
            if not isinstance(exc, QuanziError):
                log.exception("message send failed")
            batch[0].result = (
                exc
                if isinstance(exc, QuanziError)
                else Conflict("The message could not be stored; retry it.", code="retry")
            )
        for send in batch:
            if send.future.done():
                continue
            if isinstance(send.result, QuanziError):
                send.future.set_exception(send.result)
            elif send.result is not None:
                send.future.set_result(send.result)
            else:
                send.future.set_exception(Conflict("Retry the message.", code="retry"))


# The statements of the send path, built once: building a statement costs more in Python than
# running it on SQLite, and these run for every batch.
_CONVERSATIONS_Q = (
    select(
        CONVERSATIONS.c.id,
        CONVERSATIONS.c.kind,
        CONVERSATIONS.c.status,
        CONVERSATIONS.c.direct_key,
        CONVERSATIONS.c.last_seq,
    )
    .where(CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(CONVERSATIONS.c.id)  # one lock order for every process
    .with_for_update()
)
_SENDERS_Q = KeyedSelect(
    select(
        MEMBERS.c.conversation_id,
        MEMBERS.c.account_id,
        MEMBERS.c.state,
        MEMBERS.c.role,
        MEMBERS.c.joined_seq,
    ),
    (MEMBERS.c.conversation_id, MEMBERS.c.account_id),
)
_EXISTING_Q = KeyedSelect(
    select(MESSAGES), (MESSAGES.c.conversation_id, MESSAGES.c.sender_id, MESSAGES.c.client_msg_id)
)
_ACTIVE_Q = select(MEMBERS.c.conversation_id, MEMBERS.c.account_id).where(
    MEMBERS.c.conversation_id.in_(bindparam("ids", expanding=True)),
    MEMBERS.c.state == "active",
)
_BLOCKS_OF_Q = select(Block.blocker_id, Block.blocked_id).where(
    or_(
        Block.blocker_id.in_(bindparam("blockers", expanding=True)),
        Block.blocked_id.in_(bindparam("blocked", expanding=True)),
    )
)


async def write_batch(tx: Tx, batch: list[_Send]) -> None:
    """Check and store a batch of sends in `tx`: a fixed number of statements per batch,
    whatever the number of messages and conversations in it."""
    conn = await tx.connection()
    # A send from a session that ended since it was authenticated (its socket not closed yet,
    # or its token still in a process's cache) is refused: nothing is taken from it.
    ended = await ended_sessions(conn, {s.viewer.session_id for s in batch})
    if ended:
        for send in batch:
            if send.viewer.session_id in ended:
                send.result = Unauthorized("The session has ended.", code="invalid_token")
        batch = [s for s in batch if s.viewer.session_id not in ended]
        if not batch:
            return
    ids = sorted({s.conversation_id for s in batch})
    convs = {row.id: row for row in (await conn.execute(_CONVERSATIONS_Q, {"ids": ids})).all()}
    pairs = sorted(
        {(s.conversation_id, s.viewer.account_id) for s in batch if s.conversation_id in convs}
    )
    members = (
        {(row.conversation_id, row.account_id): row for row in await _SENDERS_Q.rows(conn, pairs)}
        if pairs
        else {}
    )
    keys = sorted(
        {
            (s.conversation_id, s.viewer.account_id, s.draft.client_msg_id)
            for s in batch
            if (s.conversation_id, s.viewer.account_id) in members
        }
    )
    existing: dict[tuple[int, int | None, str | None], MessageRow] = {}
    if keys:
        for row in await _EXISTING_Q.rows(conn, keys):
            message = MessageRow(**{name: row._mapping[name] for name in MESSAGE_COLUMNS})
            existing[(message.conversation_id, message.sender_id, message.client_msg_id)] = message
    active: dict[int, list[int]] = defaultdict(list)
    if convs:
        for conversation_id, account_id in await conn.execute(_ACTIVE_Q, {"ids": list(convs)}):
            active[conversation_id].append(account_id)
    permissions = await direct_refusals(
        tx,
        {
            (s.viewer.account_id, peer)
            for s in batch
            if (conv := convs.get(s.conversation_id)) is not None and conv.kind == "direct"
            for peer in _direct_members(conv.direct_key)
            if peer != s.viewer.account_id
        },
    )

    walls = await _blocks_of(
        tx, {s.viewer.account_id for s in batch if s.draft.mentions or s.draft.mention_all}
    )

    next_seq = {cid: conv.last_seq for cid, conv in convs.items()}
    fresh: list[MessageRow] = []
    mentioned: dict[int, list[int]] = {}
    pictures: list[dict[str, int]] = []
    for send in batch:
        try:
            message, replayed = await _check_and_place(
                tx,
                send,
                convs,
                members,
                existing,
                active,
                permissions,
                walls,
                next_seq,
                mentioned,
                pictures,
            )
        except QuanziError as refused:
            send.result = refused
            continue
        send.result = (message, replayed)
        if not replayed:
            fresh.append(message)
    if not fresh:
        return
    await store(tx, fresh, next_seq)
    if pictures:
        await conn.execute(insert(MessageMedia), pictures)
    urls = tx.media_urls
    for message in fresh:
        tx.emit(MESSAGE_NEW(MessageRead.of(message, urls), users=active[message.conversation_id]))
    await queue_message_pushes(
        tx,
        [message.id for message in fresh],
        {a for m in fresh for a in active[m.conversation_id] if a != m.sender_id},
    )
    await do_notify_many(
        tx,
        [
            NewNotification(
                account_id,
                "chat_mention",
                subject_id=message.id,
                actor_id=message.sender_id,
                data={"conversation_id": str(message.conversation_id), "seq": message.seq}
                | ({"all": True} if message.mentions == MENTION_ALL else {}),
            )
            for message in fresh
            for account_id in mentioned.get(message.id, ())
        ],
    )


async def _check_and_place(
    tx: Tx,
    send: _Send,
    convs: dict[int, Any],
    members: dict[tuple[int, int], Any],
    existing: dict[tuple[int, int | None, str | None], MessageRow],
    active: dict[int, list[int]],
    permissions: dict[tuple[int, int], QuanziError | None],
    walls: set[tuple[int, int]],
    next_seq: dict[int, int],
    mentioned: dict[int, list[int]],
    pictures: list[dict[str, int]],
) -> tuple[MessageRow, bool]:
    """Check one send against what the batch read; give it the next seq if it passes.
    Nothing is written here except attaching an image, after every check has passed."""
    draft, sender, cid = send.draft, send.viewer.account_id, send.conversation_id
    conv = convs.get(cid)
    member = members.get((cid, sender))
    if conv is None or member is None or member.state == "invited":
        raise NotFound("No such conversation.")
    key = (cid, sender, draft.client_msg_id)
    if key in existing:
        return existing[key], True
    if member.state != "active":
        raise Forbidden("You are not a member of this conversation any more.", code="not_a_member")
    if conv.status != "active":
        raise Conflict("This group was dissolved.", code="conversation_dissolved")
    if conv.kind == "direct":
        for peer in _direct_members(conv.direct_key):
            problem = permissions.get((sender, peer))
            if problem is not None:
                raise problem
    if draft.reply_to_seq is not None and not (
        member.joined_seq <= draft.reply_to_seq <= next_seq[cid]
    ):
        raise Invalid(
            "No such message to reply to.",
            code="no_such_message",
            details={"field": "reply_to_seq"},
        )
    if draft.mention_all and (conv.kind != "group" or member.role not in ("owner", "admin")):
        raise Forbidden(
            "Only the owner and administrators can mention everyone.", code="not_an_admin"
        )
    # Mentions name the other active members; across a block (either way) a mention is plain
    # text. An @all notifies each of them as a mention would (muting a chat does not stop it).
    mentions: list[int] = []
    notified: list[int] = []
    if draft.mentions or draft.mention_all:
        others = [m for m in active[cid] if m != sender and (sender, m) not in walls]
        reachable = set(others)
        mentions = [m for m in draft.mentions if m in reachable]
        notified = others if draft.mention_all else mentions
    if draft.media_id is not None:
        await claim_media(tx, sender, [draft.media_id], "message", field="media_id")
    if draft.record_media:
        await claim_media(tx, sender, draft.record_media, "record", field="seqs")
    message = place(
        next_seq,
        cid,
        tx.now,
        sender_id=sender,
        kind="record" if draft.record is not None else "image" if draft.media_id else "text",
        body=draft.text if draft.record is None else draft.record,
        media_id=draft.media_id,
        reply_to_seq=draft.reply_to_seq,
        mentions=_encode_mentions(mentions, draft.mention_all),
        client_msg_id=draft.client_msg_id,
    )
    if draft.record_media:
        pictures.extend(
            {"message_id": message.id, "media_id": media_id, "position": position}
            for position, media_id in enumerate(draft.record_media)
        )
    existing[key] = message  # a repeat later in the same batch replays this one
    if notified:
        mentioned[message.id] = notified
    return message, False


def _direct_members(direct_key: str | None) -> list[int]:
    low, _, high = (direct_key or "").partition(":")
    return [int(low), int(high)] if high else []


async def _blocks_of(tx: Tx, accounts: set[int]) -> set[tuple[int, int]]:
    """Pairs (a, b) with a block between them either way, one of them in `accounts`; both
    orders of each pair. One query, and none when `accounts` is empty."""
    if not accounts:
        return set()
    conn = await tx.connection()
    ids = sorted(accounts)
    rows = await conn.execute(_BLOCKS_OF_Q, {"blockers": ids, "blocked": ids})
    return {pair for a, b in rows for pair in ((a, b), (b, a))}


def _encode_mentions(mentions: list[int], everyone: bool) -> str:
    if everyone:
        return MENTION_ALL
    return orjson.dumps([str(m) for m in mentions]).decode() if mentions else ""
