"""Accounts, their login sessions and registration invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Account(Base):
    """One person. A deleted account stays as a tombstone (id, number, handle) so that its
    handle and number are never given to anyone else; everything else is erased."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(BigId, unique=True)
    handle: Mapped[str] = mapped_column(String(30))
    handle_key: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    gender: Mapped[str | None] = mapped_column(String(10))
    avatar_id: Mapped[int | None] = mapped_column(BigId)
    find_by_number: Mapped[bool] = mapped_column(Boolean, default=True)
    find_by_handle: Mapped[bool] = mapped_column(Boolean, default=True)
    find_in_search: Mapped[bool] = mapped_column(Boolean, default=True)
    add_needs_verification: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_strangers: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # messages from non-friends
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # follows need approval
    show_presence: Mapped[bool] = mapped_column(Boolean, default=True)  # online and typing
    moments_window: Mapped[str] = mapped_column(String(5), default="all")  # all | 6m | 3d
    search_tokens: Mapped[str] = mapped_column(Text, default="")  # handle and name, cut into words
    followers_count: Mapped[int] = mapped_column(Integer, default=0)
    following_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)  # posts and reposts not deleted
    role: Mapped[str] = mapped_column(String(10), default="user")  # user | admin
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | disabled | deleted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A logged-in device. The bearer token is never stored, only its SHA-256."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    device_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # api | web | oauth
    # Set for a token given to a client app through OAuth: which app, and what it may do
    # (space-separated scopes). A native or web session may do everything (scopes None).
    app_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Revocation(Base):
    """Sessions that ended, kept for a few minutes: every serving process reads the new rows
    every second and closes the sockets of those sessions (domain/accounts/revocations.py), so
    a revocation reaches every process even where the event bus does not. The id is
    time-sortable (kit/ids): a poll reads the last minute by primary key, and old rows are
    deleted by id."""

    __tablename__ = "revocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(BigId)
    # Space-separated session ids; None: every session of the account (it stopped being active)
    session_ids: Mapped[str | None] = mapped_column(Text)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
