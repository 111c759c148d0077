"""Request and response bodies of the chats area."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from quanzi.domain.chat.send import Draft
from quanzi.domain.chat.shapes import ConversationRead, MemberRead, MessageRead
from quanzi.kit.wire import Id

IdList = Annotated[list[Id], Field(max_length=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DirectOpen(Strict):
    account_id: Id


class GroupCreate(Strict):
    name: Annotated[str, Field(max_length=200)] = ""
    member_ids: IdList
    announcement: Annotated[str, Field(max_length=10_000)] = ""
    avatar_id: Id | None = None


class GroupUpdate(Strict):
    name: Annotated[str | None, Field(max_length=200)] = None
    announcement: Annotated[str | None, Field(max_length=10_000)] = None
    avatar_id: Id | None = None


class MemberSettings(Strict):
    muted: bool | None = None
    pinned: bool | None = None


class Invite(Strict):
    account_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]


class Invited(BaseModel):
    joined: list[Id]  # members now
    invited: list[Id]  # must accept first (large groups)


class RoleChange(Strict):
    role: Literal["admin", "member"]


class Transfer(Strict):
    account_id: Id


class InvitationAnswer(Strict):
    accept: bool


class MessageCreate(Strict):
    client_msg_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="Your id for this send: a retry "
            "with the same one returns the original message",
        ),
    ]
    text: Annotated[str, Field(max_length=100_000)] = ""
    media_id: Id | None = None
    reply_to_seq: Annotated[int | None, Field(ge=1)] = None
    mentions: Annotated[list[Id], Field(max_length=100)] = []
    mention_all: bool = False

    def draft(self) -> Draft:
        return Draft(
            client_msg_id=self.client_msg_id,
            text=self.text,
            media_id=self.media_id,
            reply_to_seq=self.reply_to_seq,
            mentions=tuple(self.mentions),
            mention_all=self.mention_all,
        )


class ForwardCreate(Strict):
    from_conversation_id: Id
    seqs: Annotated[
        list[Annotated[int, Field(ge=1, le=2**62)]], Field(min_length=1, max_length=100)
    ]
    merged: bool = Field(
        False, description="One chat record (合并转发) rather than one message per message"
    )
    client_msg_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=56,
            description="Your id for this forward: a retry with the same one returns what "
            "was sent, copying nothing again",
        ),
    ]


class ForwardResult(BaseModel):
    items: list[MessageRead]  # the messages sent to the chat, in order


class ReadCursor(Strict):
    seq: Annotated[int, Field(ge=0)]


class ReadState(BaseModel):
    read_seq: int
    unread: int


class ConversationList(BaseModel):
    items: list[ConversationRead]
    sync_version: Id  # pass as changed_since next time


class MemberList(BaseModel):
    items: list[MemberRead]


class MessageList(BaseModel):
    items: list[MessageRead]
    last_seq: int  # the newest seq the caller may read


class Unread(BaseModel):
    total: int  # over conversations that are not muted
    conversations: dict[str, int]


class PresenceRead(BaseModel):
    account_id: Id
    online: bool


class PresenceList(BaseModel):
    items: list[PresenceRead]  # only mutual friends who show their presence are listed
