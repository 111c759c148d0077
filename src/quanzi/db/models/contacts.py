"""Friends (with greetings, remarks and labels), follows and blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class FriendRequest(Base):
    """The latest request from one account to another (a repeat updates it, WeChat style)."""

    __tablename__ = "friend_requests"
    __table_args__ = (
        UniqueConstraint("from_id", "to_id"),
        Index("ix_friend_requests_to_status", "to_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    from_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    to_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    greeting: Mapped[str] = mapped_column(Text, default="")
    # What the sender wants to call and file the new friend under, applied on acceptance.
    remark: Mapped[str] = mapped_column(String(100), default="")
    label_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the sender's labels
    status: Mapped[str] = mapped_column(String(10))  # pending | accepted | declined
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    """One side of a friendship: `owner` has `friend` in their contacts. Friends are mutual when
    both rows exist; removing a friend deletes only the remover's row (WeChat)."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_friend_id", "friend_id"),)

    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    friend_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    remark: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Label(Base):
    """A private tag an account puts on its friends (used for Moments audiences)."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LabelMember(Base):
    __tablename__ = "label_members"
    __table_args__ = (Index("ix_label_members_friend_id", "friend_id"),)

    label_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )
    friend_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )


class Follow(Base):
    """`follower` follows `followee`; pending until a locked account approves. Each index
    carries the other account's id, so that "whom does X follow" (home timelines) and "who
    follows X" (fan-out) are read from the index alone."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_followee", "followee_id", "status", "id", "follower_id"),
        Index("ix_follows_follower", "follower_id", "status", "id", "followee_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    follower_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))  # active | pending
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Block(Base):
    __tablename__ = "blocks"
    __table_args__ = (Index("ix_blocks_blocked_id", "blocked_id"),)

    blocker_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
