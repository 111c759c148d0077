"""How accounts, sessions and invites look to the outside (native API responses and events)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict

from quanzi.db.models import Account, AuthSession, Invite
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.media.urls import MediaUrls
from quanzi.kit.wire import Id

Gender = Literal["male", "female", "other"]


class Privacy(BaseModel):
    find_by_number: bool
    find_by_handle: bool
    find_in_search: bool
    add_needs_verification: bool  # friend requests wait for my acceptance
    allow_strangers: bool  # people who are not my friends may message me
    locked: bool  # follows wait for my approval
    show_presence: bool  # contacts see when I am online and typing
    moments_window: Literal["all", "6m", "3d"]  # how far back friends may see my Moments

    @classmethod
    def of(cls, account: Account | AccountRow) -> Privacy:
        return cls(**{name: getattr(account, name) for name in cls.model_fields})


class AccountPublic(BaseModel):
    """What anyone who may see the account sees."""

    model_config = ConfigDict(frozen=True)

    id: Id
    handle: str
    number: int | None  # shown only if the owner lets people find them by number
    display_name: str
    avatar_url: str | None
    avatar_thumbnail_url: str | None
    bio: str
    region: str
    gender: Gender | None
    locked: bool
    followers_count: int
    following_count: int
    post_count: int  # posts and reposts
    created_at: datetime

    @classmethod
    def of(cls, account: Account | AccountRow, urls: MediaUrls) -> AccountPublic:
        """The public view of an account; of a cached AccountRow, made once and shared (the
        model is frozen)."""
        if isinstance(account, AccountRow):
            key = (cls, urls)
            made = account.shown.get(key)
            if made is None:
                made = account.shown[key] = cls._make(account, urls)
            return cast(AccountPublic, made)
        return cls._make(account, urls)

    @classmethod
    def _make(cls, account: Account | AccountRow, urls: MediaUrls) -> AccountPublic:
        return cls(
            **_common(account, urls), number=account.number if account.find_by_number else None
        )


class AccountSelf(BaseModel):
    """What the owner sees of their own account."""

    id: Id
    handle: str
    number: int
    email: str | None
    display_name: str
    avatar_id: Id | None
    avatar_url: str | None
    avatar_thumbnail_url: str | None
    bio: str
    region: str
    gender: Gender | None
    locked: bool
    followers_count: int
    following_count: int
    post_count: int
    privacy: Privacy
    role: Literal["user", "admin"]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, account: Account | AccountRow, urls: MediaUrls) -> AccountSelf:
        return cls(
            **_common(account, urls),
            number=account.number,
            email=account.email,
            avatar_id=account.avatar_id,
            privacy=Privacy.of(account),
            role=account.role,
            updated_at=account.updated_at,
        )


def _common(account: Account | AccountRow, urls: MediaUrls) -> dict[str, object]:
    avatar = urls.avatar(account.id, account.avatar_id)
    return {
        "id": account.id,
        "handle": account.handle,
        "display_name": account.display_name,
        "avatar_url": avatar.url if avatar else None,
        "avatar_thumbnail_url": avatar.thumbnail_url if avatar else None,
        "bio": account.bio,
        "region": account.region,
        "gender": account.gender,
        "locked": account.locked,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "post_count": account.post_count,
        "created_at": account.created_at,
    }


class SessionRead(BaseModel):
    id: Id
    device_name: str
    kind: Literal["api", "web", "oauth"]  # oauth: given to an app (device_name is its name)
    created_at: datetime
    last_used_at: datetime
    current: bool

    @classmethod
    def of(cls, session: AuthSession, current_id: int) -> SessionRead:
        return cls(
            id=session.id,
            device_name=session.device_name,
            kind=session.kind,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            current=session.id == current_id,
        )


class InviteRead(BaseModel):
    code: str
    max_uses: int
    uses: int
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, invite: Invite) -> InviteRead:
        return cls(
            code=invite.code,
            max_uses=invite.max_uses,
            uses=invite.uses,
            expires_at=invite.expires_at,
            created_at=invite.created_at,
        )
