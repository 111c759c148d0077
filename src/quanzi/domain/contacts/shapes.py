"""How friends, requests, labels, follows and relationships look outside."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import orjson
from pydantic import BaseModel

from quanzi.db.models import Account, FriendRequest, Label
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.media.urls import MediaUrls
from quanzi.kit.wire import Id


class FriendRead(BaseModel):
    """One of my contacts, with my private remark and labels."""

    account: AccountPublic
    remark: str
    label_ids: list[Id]
    mutual: bool  # False once they removed me (I keep them until I remove them too)
    since: datetime


class FriendRequestRead(BaseModel):
    id: Id
    direction: Literal["incoming", "outgoing"]
    account: AccountPublic  # the other person
    greeting: str
    status: Literal["pending", "accepted", "declined", "expired"]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime

    @classmethod
    def of(
        cls, request: FriendRequest, viewer_id: int, other: Account, urls: MediaUrls, now: datetime
    ) -> FriendRequestRead:
        status = request.status
        if status == "pending" and request.expires_at <= now:
            status = "expired"
        return cls(
            id=request.id,
            direction="outgoing" if request.from_id == viewer_id else "incoming",
            account=AccountPublic.of(other, urls),
            greeting=request.greeting,
            status=status,
            created_at=request.created_at,
            updated_at=request.updated_at,
            expires_at=request.expires_at,
        )


class FriendRequestResult(BaseModel):
    """What sending a request did: it waits for acceptance, or made the friendship at once."""

    request: FriendRequestRead
    friends: bool


class LabelRead(BaseModel):
    id: Id
    name: str
    member_ids: list[Id]
    created_at: datetime

    @classmethod
    def of(cls, label: Label, member_ids: list[int]) -> LabelRead:
        return cls(id=label.id, name=label.name, member_ids=member_ids, created_at=label.created_at)


class FollowRead(BaseModel):
    id: Id  # the follow's id: the cursor for paging
    account: AccountPublic
    status: Literal["active", "pending"]
    since: datetime


class Relationship(BaseModel):
    """How I stand to another account. Whether they blocked me is never said."""

    id: Id
    friend: bool  # mutual friends
    contact: bool  # they are in my contacts (even if they removed me)
    remark: str
    following: bool
    follow_requested: bool  # my follow waits for their approval
    followed_by: bool
    blocking: bool  # I blocked them
    request_sent: bool  # my friend request is pending
    request_received: bool  # their friend request is pending


def label_ids_of(raw: str) -> list[int]:
    value = orjson.loads(raw or "[]")
    return [int(v) for v in value] if isinstance(value, list) else []
