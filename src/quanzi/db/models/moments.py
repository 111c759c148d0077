"""Moments: the friends-only wall."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Moment(Base):
    """A Moment and who may see it: all friends, only its author ("private"), only the friends
    and labels listed ("include"), or all friends but those listed ("exclude"). Labels are
    resolved when the Moment is viewed, so a label's membership today decides."""

    __tablename__ = "moments"
    __table_args__ = (Index("ix_moments_author", "author_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    audience: Mapped[str] = mapped_column(String(10))  # friends | private | include | exclude
    media_ids: Mapped[str] = mapped_column(Text, default="")  # JSON list, in order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MomentAudience(Base):
    """A friend or a label that a Moment's audience includes or excludes."""

    __tablename__ = "moment_audience"

    moment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # account | label
    ref_id: Mapped[int] = mapped_column(BigId, primary_key=True)


class MomentMedia(Base):
    __tablename__ = "moment_media"
    __table_args__ = (Index("ix_moment_media_media", "media_id"),)

    moment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class MomentLike(Base):
    __tablename__ = "moment_likes"

    moment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MomentComment(Base):
    """A comment on a Moment, or a reply to another (`reply_to_id`)."""

    __tablename__ = "moment_comments"
    __table_args__ = (Index("ix_moment_comments_moment", "moment_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    moment_id: Mapped[int] = mapped_column(BigId, ForeignKey("moments.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(BigId)
    reply_to_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_account_id: Mapped[int | None] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
