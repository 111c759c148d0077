"""Web Push subscriptions: where a device wants to be woken (domain/push/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class PushSubscription(Base):
    """One per session (a browser, an app's token): the push service's URL and the keys the
    payloads are encrypted to (RFC 8291). It goes with its session: logging out, revoking the
    device or the app's token deletes it (the foreign key cascades)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("auth_sessions.id", ondelete="CASCADE"), unique=True
    )
    door: Mapped[str] = mapped_column(String(10))  # native | mastodon: which payloads it reads
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(200))  # the device's public key, base64url
    auth: Mapped[str] = mapped_column(String(50))  # the device's auth secret, base64url
    standard: Mapped[bool] = mapped_column(Boolean, default=True)  # aes128gcm, else aesgcm
    alerts: Mapped[str] = mapped_column(String(500))  # the kinds it wants, space-separated
    policy: Mapped[str] = mapped_column(
        String(10), default="all"
    )  # all | followed | follower | none
    # Whether payloads may carry who wrote and what (off: "a new message", nothing more)
    previews: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(10), default="zh")  # of the words it is sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
