"""Notifications: friend requests, acceptances, group invites, mentions (and later areas')."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Notification(Base):
    """Something that happened for `account_id`. One row per (kind, subject): a repeated
    friend request refreshes its notification instead of adding another."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "subject_id"),
        Index("ix_notifications_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    subject_id: Mapped[int] = mapped_column(BigId)  # the request, conversation or message
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON details for the client
    read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
