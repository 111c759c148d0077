"""Uploaded media: a re-encoded original and a thumbnail, stored under server-chosen names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        # what the sweeper looks for (domain/media/sweep.py): media attached to nothing, oldest
        Index(
            "ix_media_unattached",
            "created_at",
            sqlite_where=text("attached_to IS NULL"),
            postgresql_where=text("attached_to IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    animated: Mapped[bool] = mapped_column(Boolean, default=False)
    file_key: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_key: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_content_type: Mapped[str] = mapped_column(String(40))
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    # Where the media is used decides who may fetch it ("avatar" is public; unattached is
    # the owner's alone). Later areas attach media to posts, Moments and messages.
    attached_to: Mapped[str | None] = mapped_column(String(20))
    # Alt text: what the image shows, for who cannot see it (read aloud by screen readers).
    description: Mapped[str | None] = mapped_column(Text)
    # Part of a Moment photo's URL signature; moved on to end the URLs handed out before
    # (domain/media/urls.py).
    url_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
