"""How Moments, their likes and comments look outside (API responses and stream events).

A Moment is always rendered *for a viewer*: its likes, comments and their counts are the ones
that viewer may see (see rules.py), and only its author is told who its audience is."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.media.shapes import MediaRead
from quanzi.domain.media.urls import MediaUrls
from quanzi.kit.wire import Id

AudienceKind = Literal["friends", "private", "include", "exclude"]

# Notification kinds
MOMENT_LIKE = "moment_like"  # to the poster; one per Moment, refreshed by the latest like
MOMENT_COMMENT = "moment_comment"  # to the poster
MOMENT_REPLY = "moment_reply"  # to the person replied to, if they may see the reply
NOTIFICATION_KINDS = (MOMENT_LIKE, MOMENT_COMMENT, MOMENT_REPLY)


class MomentFields(Protocol):
    """What rendering reads of a Moment: an ORM object or a row of `select(Moment)`."""

    id: int
    author_id: int
    text: str
    location: str
    media_ids: str  # JSON list of the ids of its images, "" for none
    audience: str
    created_at: datetime


class CommentFields(Protocol):
    """What rendering reads of a comment: an ORM object or a row of `select(MomentComment)`."""

    id: int
    moment_id: int
    author_id: int
    reply_to_id: int | None
    reply_to_account_id: int | None
    text: str
    created_at: datetime


class AudienceRead(BaseModel):
    """Who a Moment is for. Shown to its author only."""

    kind: AudienceKind
    account_ids: list[Id]
    label_ids: list[Id]


class CommentRead(BaseModel):
    id: Id
    moment_id: Id
    author: AccountPublic
    reply_to_id: Id | None
    reply_to: AccountPublic | None  # whose comment this answers
    text: str
    created_at: datetime

    @classmethod
    def of(
        cls,
        comment: CommentFields,
        author: AccountRow,
        reply_to: AccountRow | None,
        urls: MediaUrls,
    ) -> CommentRead:
        return cls(
            id=comment.id,
            moment_id=comment.moment_id,
            author=AccountPublic.of(author, urls),
            reply_to_id=comment.reply_to_id if reply_to is not None else None,
            reply_to=AccountPublic.of(reply_to, urls) if reply_to is not None else None,
            text=comment.text,
            created_at=comment.created_at,
        )


class MomentRead(BaseModel):
    """A Moment as one viewer sees it. `likes` and `comments` (oldest first) hold only what
    this viewer may see, and the counts count exactly those."""

    id: Id
    author: AccountPublic
    text: str
    location: str
    media: list[MediaRead]
    audience: AudienceRead | None  # only for the author
    created_at: datetime
    liked: bool  # by the viewer
    likes: list[AccountPublic]
    likes_count: int
    comments: list[CommentRead]
    comments_count: int


class LikeEvent(BaseModel):
    moment_id: Id
    account: AccountPublic
