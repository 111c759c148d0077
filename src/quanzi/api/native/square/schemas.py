"""Request and response bodies of the square."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.square.shapes import (
    CommentRead,
    PostEditRead,
    PostRead,
    TopicRead,
    TrendingRead,
    Visibility,
)
from quanzi.kit.wire import Id

MediaIds = Annotated[list[Id], Field(max_length=9)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostCreate(Strict):
    text: Annotated[str, Field(max_length=100_000)] = ""
    media_ids: MediaIds = []
    visibility: Visibility = "public"
    community_id: Id | None = None


class PostUpdate(Strict):
    text: Annotated[str, Field(max_length=100_000)]
    media_ids: MediaIds | None = None


class RepostCreate(Strict):
    comment: Annotated[str, Field(max_length=100_000)] = ""
    visibility: Visibility = "public"


class CommentCreate(Strict):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]
    reply_to_id: Id | None = None
    also_repost: bool = False


class CommunityCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=5000)] = ""


class Timeline(BaseModel):
    items: list[PostRead]
    next_max_id: Id | None
    prev_min_id: Id | None


class TopicTimeline(Timeline):
    topic: TopicRead


class CommentPage(BaseModel):
    items: list[CommentRead]
    next_max_id: Id | None
    prev_min_id: Id | None


class EditHistory(BaseModel):
    items: list[PostEditRead]  # earlier versions, newest first


class TrendingList(BaseModel):
    items: list[TrendingRead]


class CommunityMemberRead(BaseModel):
    account: AccountPublic
    role: Literal["owner", "moderator", "member"]


class CommunityMemberList(BaseModel):
    items: list[CommunityMemberRead]


class SearchResults(BaseModel):
    posts: list[PostRead]
    comments: list[CommentRead]  # each names its post (post_id)
    accounts: list[AccountPublic]
    topics: list[TopicRead]
