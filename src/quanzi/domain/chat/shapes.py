"""How conversations, members and messages look outside (API responses and stream events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from quanzi.db.models import Conversation, Member, Message
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.media.urls import Holder, MediaUrls
from quanzi.kit.wire import Id

MessageKind = Literal["text", "image", "record", "system", "recall", "recalled"]

# Stream event types


@dataclass(slots=True)
class MessageRow:
    """A message as the send path writes and reads it (plain columns, no ORM bookkeeping)."""

    id: int
    conversation_id: int
    seq: int
    sender_id: int | None
    kind: str
    body: str
    media_id: int | None
    reply_to_seq: int | None
    mentions: str
    client_msg_id: str | None
    created_at: datetime
    recalled_at: datetime | None = None


class RecordTitle(BaseModel):
    """What a record's title is made of, for each reader to say in their language: a group's
    chat history ("群聊的聊天记录"), or that of the people of a direct chat ("X和Y的聊天记录")."""

    group: bool
    names: list[str]


class RecordItem(BaseModel):
    """One forwarded message as it was: its sender's name in that chat, what it said, its
    picture (a copy the record holds) or, for a record forwarded in a record, that record
    (one level deep: a record inside that shows as a "[Chat history]" line)."""

    sender_id: Id | None
    name: str
    kind: Literal["text", "image", "record"]
    text: str
    created_at: datetime
    media_id: Id | None
    media_url: str | None
    thumbnail_url: str | None
    record: RecordRead | None


class RecordRead(BaseModel):
    """A chat record: messages forwarded together as one (合并转发)."""

    title: RecordTitle
    items: list[RecordItem]

    @classmethod
    def of(cls, body: str, urls: MediaUrls, holder: Holder) -> RecordRead:
        return cls._of(orjson.loads(body), urls, holder)

    @classmethod
    def _of(cls, data: dict[str, Any], urls: MediaUrls, holder: Holder) -> RecordRead:
        items = []
        for item in data["items"]:
            media_id = int(item["media_id"]) if item.get("media_id") else None
            links = urls.links(media_id, holder) if media_id else None
            nested = item.get("record")
            items.append(
                RecordItem(
                    sender_id=item.get("sender_id"),
                    name=item["name"],
                    kind=item["kind"],
                    text=item.get("text", ""),
                    created_at=item["created_at"],
                    media_id=media_id,
                    media_url=links.url if links else None,
                    thumbnail_url=links.thumbnail_url if links else None,
                    record=cls._of(nested, urls, holder) if nested else None,
                )
            )
        return cls(title=RecordTitle(**data["title"]), items=items)


RecordItem.model_rebuild()


class MessageRead(BaseModel):
    """A message. `seq` orders it in its conversation, without gaps: a client that holds seq n
    asks for what comes after n. A "recall" message says that the message at `reply_to_seq`
    was recalled (it now reads as kind "recalled", with nothing left of its content). A
    "record" carries the messages forwarded in it (`record`)."""

    id: Id
    conversation_id: Id
    seq: int
    sender_id: Id | None
    kind: MessageKind
    text: str
    media_id: Id | None
    media_url: str | None
    thumbnail_url: str | None
    reply_to_seq: int | None
    mentions: list[Id]
    mentions_all: bool
    system: dict[str, Any] | None  # what a system message records (who joined, the new name ...)
    client_msg_id: str | None
    created_at: datetime
    record: RecordRead | None = None

    @classmethod
    def of(cls, m: Message | MessageRow, urls: MediaUrls) -> MessageRead:
        mentions = orjson.loads(m.mentions) if m.mentions else []
        system = orjson.loads(m.body) if m.kind in ("system", "recall") and m.body else None
        links = urls.links(m.media_id, Holder("message", m.id)) if m.media_id else None
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            seq=m.seq,
            sender_id=m.sender_id,
            kind=m.kind,
            text=m.body if m.kind in ("text", "image") else "",  # a record's is in `record`
            media_id=m.media_id,
            media_url=links.url if links else None,
            thumbnail_url=links.thumbnail_url if links else None,
            reply_to_seq=m.reply_to_seq,
            mentions=[] if mentions == "all" else [int(i) for i in mentions],
            mentions_all=mentions == "all",
            system=system,
            client_msg_id=m.client_msg_id,
            created_at=m.created_at,
            record=RecordRead.of(m.body, urls, Holder("record", m.id))
            if m.kind == "record"
            else None,
        )


class MyMembership(BaseModel):
    role: Literal["owner", "admin", "member"]
    state: Literal["active", "invited", "left", "removed"]
    joined_seq: int
    left_seq: int | None
    read_seq: int
    muted: bool
    pinned: bool

    @classmethod
    def of(cls, m: Member) -> MyMembership:
        return cls(
            role=m.role,
            state=m.state,
            joined_seq=m.joined_seq,
            left_seq=m.left_seq,
            read_seq=m.read_seq,
            muted=m.muted,
            pinned=m.pinned,
        )


FORMER = ("left", "removed")  # member states of someone no longer in the group


def is_former(me: Member) -> bool:
    return me.state in FORMER


def shown_version(conv: Conversation, me: Member) -> int:
    """The `version` of a conversation as `me` sees it: a former member's own, since what the
    group does after they went is nothing to them."""
    return me.version if is_former(me) else max(conv.version, me.version)


class ConversationRead(BaseModel):
    """A conversation as one member sees it. Someone who left or was removed sees the group as
    it was when they went (name, announcement, owner, size, status; no picture), and nothing
    that changed after: not even that something did (`version` is then their own)."""

    id: Id
    kind: Literal["direct", "group"]
    name: str
    avatar_url: str | None  # signed; its thumbnail is avatar_url + "/thumb"
    announcement: str
    owner_id: Id | None
    member_count: int
    last_seq: int  # the newest seq (for a former member: the newest they may read)
    status: Literal["active", "dissolved"]
    peer: AccountPublic | None  # the other person of a direct chat
    me: MyMembership
    unread: int
    last_message: MessageRead | None
    version: Id  # changes whenever anything shown here changes

    @classmethod
    def of(
        cls,
        conv: Conversation,
        me: Member,
        *,
        urls: MediaUrls,
        peer: AccountRow | None,
        unread: int,
        last_message: Message | MessageRow | None,
    ) -> ConversationRead:
        visible_last = conv.last_seq if me.left_seq is None else min(conv.last_seq, me.left_seq)
        if is_former(me):
            name, announcement = me.left_name or "", me.left_announcement or ""
            owner_id, member_count = me.left_owner_id, me.left_member_count or 0
            status, avatar_id = me.left_status or "active", None
        else:
            name, announcement = conv.name, conv.announcement
            owner_id, member_count = conv.owner_id, conv.member_count
            status, avatar_id = conv.status, conv.avatar_id
        avatar = urls.group_avatar(conv.id, avatar_id)
        return cls(
            id=conv.id,
            kind=conv.kind,
            name=name,
            avatar_url=avatar.url if avatar else None,
            announcement=announcement,
            owner_id=owner_id,
            member_count=member_count,
            last_seq=visible_last,
            status=status,
            peer=AccountPublic.of(peer, urls) if peer is not None else None,
            me=MyMembership.of(me),
            unread=unread,
            last_message=MessageRead.of(last_message, urls) if last_message else None,
            version=shown_version(conv, me),
        )


class MemberRead(BaseModel):
    account: AccountPublic
    role: Literal["owner", "admin", "member"]
    state: Literal["active", "invited", "left", "removed"]
    joined_at: datetime
