"""OAuth 2 for the Mastodon-compatible door: registered client apps, authorization codes, app
tokens (client credentials), and the reading positions (markers) that Mastodon clients keep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class OAuthApp(Base):
    """A client app (POST /api/v1/apps). Only the SHA-256 of its secret is kept."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2000))
    redirect_uris: Mapped[str] = mapped_column(Text)  # one per line
    scopes: Mapped[str] = mapped_column(String(1000))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthCode(Base):
    """An authorization code: granted on the consent page, exchanged once, soon expired."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    app_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(1000))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str | None] = mapped_column(String(200))  # PKCE, S256
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthAppToken(Base):
    """A token of an app itself, not of a person (grant_type=client_credentials)."""

    __tablename__ = "oauth_app_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    app_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Marker(Base):
    """Where an account stopped reading a timeline (home, notifications), synced across apps."""

    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(BigId)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
