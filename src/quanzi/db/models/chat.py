"""Conversations (direct and group), their members and messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Conversation(Base):
    """A chat. `last_seq` is advanced in the transaction that inserts each message, so within
    a conversation seq order is commit order, without gaps. `version` changes with anything a
    member's conversation list shows (a message, a rename), for "changed since" sync."""

    __tablename__ = "conversations"
    __table_args__ = (
        # whose picture a media is (domain/media/queries.holders_of, serving its URL)
        Index(
            "ix_conversations_avatar",
            "avatar_id",
            sqlite_where=text("avatar_id IS NOT NULL"),
            postgresql_where=text("avatar_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10))  # direct | group
    direct_key: Mapped[str | None] = mapped_column(String(45), unique=True)  # "<low>:<high>"
    name: Mapped[str] = mapped_column(String(100), default="")
    avatar_id: Mapped[int | None] = mapped_column(BigId)
    announcement: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(BigId)
    last_seq: Mapped[int] = mapped_column(BigId, default=0)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | dissolved
    version: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Member(Base):
    """An account's place in a conversation. A member reads messages with seq in
    [joined_seq, left_seq]; one who left or was removed sees nothing sent after, and is shown
    the group as it was when they went (the `left_*` columns, kept at that moment)."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_account", "account_id", "version"),)

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")  # owner | admin | member
    state: Mapped[str] = mapped_column(String(10))  # active | invited | left | removed
    joined_seq: Mapped[int] = mapped_column(BigId, default=1)
    left_seq: Mapped[int | None] = mapped_column(BigId)
    read_seq: Mapped[int] = mapped_column(BigId, default=0)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    inviter_id: Mapped[int | None] = mapped_column(BigId)
    version: Mapped[int] = mapped_column(BigId)  # this member's own changes (settings, state)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_name: Mapped[str | None] = mapped_column(String(100))
    left_announcement: Mapped[str | None] = mapped_column(Text)
    left_owner_id: Mapped[int | None] = mapped_column(BigId)
    left_member_count: Mapped[int | None] = mapped_column(Integer)
    left_status: Mapped[str | None] = mapped_column(String(10))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "sender_id", "client_msg_id"),
        Index("ix_messages_media", "media_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(BigId)
    sender_id: Mapped[int | None] = mapped_column(BigId)  # None: a system message
    kind: Mapped[str] = mapped_column(String(10))  # text|image|record|system|recall|recalled
    body: Mapped[str] = mapped_column(Text, default="")
    media_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_seq: Mapped[int | None] = mapped_column(BigId)
    mentions: Mapped[str] = mapped_column(Text, default="")  # JSON: [ids] or "all"; "" for none
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageMedia(Base):
    """The pictures of a chat record ("record" message, domain/chat/forward.py): copies the
    record holds, each `attached_to` "record" and shown by URLs signed for the message."""

    __tablename__ = "message_media"
    __table_args__ = (Index("ix_message_media_media", "media_id"),)

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
