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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import select

from quanzi.db.models import Account, Conversation, Media, Member, Message
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.actions import announce, append_message, may_message
from quanzi.domain.chat.queries import active_member_ids
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, Invalid, NotFound, QuanziError
from quanzi.kit.text import clean_text
from quanzi.obs.logging import get_logger

if TYPE_CHECKING:
    from quanzi.services import Services

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


def check_draft(draft: Draft, max_chars: int) -> Draft:
    """What can be said of a message without the database."""
    if not CLIENT_MSG_ID_RE.match(draft.client_msg_id):
        raise Invalid(
            "client_msg_id is 1 to 64 printable ASCII characters.",
            code="invalid_client_msg_id",
            details={"field": "client_msg_id"},
        )
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
    future: asyncio.Future[tuple[Message, bool]] = field(repr=False)
    result: tuple[Message, bool] | QuanziError | None = None


class MessageSender:
    def __init__(self, services: Services) -> None:
        self._services = services
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
    ) -> tuple[Message, bool]:
        """Send a message; returns it and whether it is a replay of an earlier send with the
        same client message id. Raises the QuanziError that refused it."""
        draft = check_draft(draft, self._services.settings.message_max_chars)
        future: asyncio.Future[tuple[Message, bool]] = asyncio.get_running_loop().create_future()
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
            async with self._services.write() as tx:
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


async def write_batch(tx: Tx, batch: list[_Send]) -> None:
    by_conversation: dict[int, list[_Send]] = defaultdict(list)
    for send in batch:
        by_conversation[send.conversation_id].append(send)
    for conversation_id in sorted(by_conversation):
        await _into_conversation(tx, conversation_id, by_conversation[conversation_id])


async def _into_conversation(tx: Tx, conversation_id: int, sends: list[_Send]) -> None:
    conv = await tx.session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conv is None:
        for send in sends:
            send.result = NotFound("No such conversation.")
        return
    senders = {s.viewer.account_id for s in sends}
    members = {
        m.account_id: m
        for m in (
            await tx.session.execute(
                select(Member).where(
                    Member.conversation_id == conv.id, Member.account_id.in_(senders)
                )
            )
        ).scalars()
    }
    existing = {
        (m.sender_id, m.client_msg_id): m
        for m in (
            await tx.session.execute(
                select(Message).where(
                    Message.conversation_id == conv.id,
                    Message.sender_id.in_(senders),
                    Message.client_msg_id.in_({s.draft.client_msg_id for s in sends}),
                )
            )
        ).scalars()
    }
    active = await active_member_ids(tx, conv.id)
    context = _Context(conv, members, existing, set(active))
    fresh: list[Message] = []
    for send in sends:
        try:
            message, replayed = await context.add(tx, send)
        except QuanziError as refused:
            send.result = refused
            continue
        send.result = (message, replayed)
        if not replayed:
            fresh.append(message)
    if not fresh:
        return
    for message in fresh:  # the sender has read up to what they sent
        member = members[message.sender_id]  # type: ignore[index]
        member.read_seq = max(member.read_seq, message.seq)
    await tx.session.flush()
    announce(tx, fresh, active)
    for message in fresh:
        for mentioned in context.mentioned.get(message.id, ()):
            await do_notify(
                tx,
                mentioned,
                "mention",
                subject_id=message.id,
                actor_id=message.sender_id,
                data={"conversation_id": str(conv.id), "seq": message.seq},
            )


class _Context:
    """What a batch knows of one conversation while it checks and adds sends."""

    def __init__(
        self,
        conv: Conversation,
        members: dict[int, Member],
        existing: dict[tuple[int | None, str | None], Message],
        active: set[int],
    ) -> None:
        self.conv = conv
        self.members = members
        self.existing = existing
        self.active = active
        self.peer_checked: dict[int, QuanziError | None] = {}
        self.mentioned: dict[int, list[int]] = {}

    async def add(self, tx: Tx, send: _Send) -> tuple[Message, bool]:
        conv, draft, sender = self.conv, send.draft, send.viewer.account_id
        member = self.members.get(sender)
        if member is None or member.state == "invited":
            raise NotFound("No such conversation.")
        key = (sender, draft.client_msg_id)
        if key in self.existing:
            return self.existing[key], True
        if member.state != "active":
            raise Forbidden(
                "You are not a member of this conversation any more.", code="not_a_member"
            )
        if conv.status != "active":
            raise Conflict("This group was dissolved.", code="conversation_dissolved")
        if conv.kind == "direct":
            await self._check_peer(tx, sender)
        if draft.reply_to_seq is not None and not (
            member.joined_seq <= draft.reply_to_seq <= conv.last_seq
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
        mentions = [m for m in draft.mentions if m in self.active and m != sender]
        if draft.media_id is not None:
            await _attach_media(tx, sender, draft.media_id)
        message = append_message(
            tx,
            conv,
            sender_id=sender,
            kind="image" if draft.media_id else "text",
            body=draft.text,
            media_id=draft.media_id,
            reply_to_seq=draft.reply_to_seq,
            mentions=_encode_mentions(mentions, draft.mention_all),
            client_msg_id=draft.client_msg_id,
        )
        self.existing[key] = message
        if mentions:
            self.mentioned[message.id] = mentions
        return message, False

    async def _check_peer(self, tx: Tx, sender: int) -> None:
        if sender not in self.peer_checked:
            problem: QuanziError | None = None
            peer_id = next((a for a in self.members_of_direct() if a != sender), None)
            peer = await tx.session.get(Account, peer_id) if peer_id is not None else None
            try:
                if peer is None:
                    raise Forbidden("You cannot message this person.", code="cannot_message")
                await may_message(tx, sender, peer)
            except QuanziError as refused:
                problem = refused
            self.peer_checked[sender] = problem
        problem = self.peer_checked[sender]
        if problem is not None:
            raise problem

    def members_of_direct(self) -> list[int]:
        low, _, high = (self.conv.direct_key or "").partition(":")
        return [int(low), int(high)] if high else []


def _encode_mentions(mentions: list[int], everyone: bool) -> str:
    if everyone:
        return '"all"'
    return orjson.dumps([str(m) for m in mentions]).decode() if mentions else ""


async def _attach_media(tx: Tx, sender: int, media_id: int) -> None:
    media = await tx.session.get(Media, media_id)
    if media is None or media.owner_id != sender:
        raise NotFound("No such media.")
    if media.attached_to is not None:
        raise Invalid(
            "That image was already used; upload it again.",
            code="media_in_use",
            details={"field": "media_id"},
        )
    media.attached_to = "message"
