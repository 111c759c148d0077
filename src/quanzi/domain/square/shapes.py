"""How posts, comments, topics and communities look outside."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal, NamedTuple, Protocol

import orjson
from pydantic import BaseModel

from quanzi.db.models import Comment, Community, Media, PostEdit, Topic
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.media.urls import Holder, MediaUrls
from quanzi.kit.posttext import excerpt, links
from quanzi.kit.wire import Id

Visibility = Literal["public", "followers", "mentioned"]

# A post's live events (post.new, .updated, .deleted, .public) are in domain/events.py.


class PostFields(Protocol):
    """What rendering reads of a post: an ORM object or a row of `select(Post)` (the hot
    reads render rows as they come, without making ORM objects of them)."""

    id: int
    author_id: int
    text: str
    visibility: str
    media_ids: str
    language: str | None
    root_id: int | None
    parent_id: int | None
    community_id: int | None
    removed_from_community: bool
    repost_count: int
    comment_count: int
    like_count: int
    view_count: int
    created_at: datetime
    edited_at: datetime | None


class MediaRef(BaseModel):
    id: Id
    url: str
    thumbnail_url: str
    description: str | None = None  # alt text
    # Sizes in pixels, for laying photos out before they load (None where not read: the
    # images of an earlier version of a post)
    width: int | None = None
    height: int | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


class MediaFacts(NamedTuple):
    """What a post's image adds to its URLs: its alt text and its sizes."""

    description: str | None
    width: int
    height: int
    thumbnail_width: int
    thumbnail_height: int

    @classmethod
    def of(cls, media: Media) -> MediaFacts:
        return cls(
            media.description, media.width, media.height, media.thumb_width, media.thumb_height
        )


class Counts(BaseModel):
    reposts: int
    comments: int
    likes: int
    views: int


class RepostedRef(BaseModel):
    """The original of a repost, or a note that it was deleted or is not visible."""

    id: Id
    available: bool  # False: deleted, or no longer visible to you
    post: PostRead | None


class PostRead(BaseModel):
    id: Id
    author: AccountPublic
    text: str
    excerpt: str  # the first 140 characters, for feeds
    truncated: bool  # the feed should offer "more"
    visibility: Visibility
    language: str | None  # as the author's app said (ISO 639), if it did
    media: list[MediaRef]
    mentions: list[Id]
    topics: list[str]
    links: list[str]
    reposted: RepostedRef | None  # set for reposts: the original post (the root)
    parent_id: Id | None  # a repost of a repost: what was reposted
    community_id: Id | None
    counts: Counts
    liked: bool  # by you
    created_at: datetime
    edited_at: datetime | None


def is_plain_repost(post: PostFields | PostRead) -> bool:
    """A repost without words of its own: it stands for its original (a favourite or reblog
    of it through the Mastodon door acts on the original, which Mastodon shows it as)."""
    reposts = post.reposted is not None if isinstance(post, PostRead) else post.root_id is not None
    return reposts and not post.text


def media_refs(
    raw: str, post_id: int, urls: MediaUrls, facts: Mapping[int, MediaFacts] | None = None
) -> list[MediaRef]:
    """The images of a post (`raw`: its `media_ids`, now or in an earlier version), with
    their alt text and sizes if known."""
    refs, post = [], Holder("post", post_id)
    for i in media_ids(raw):
        links = urls.links(i, post)
        known = facts.get(i) if facts else None
        refs.append(
            MediaRef(
                id=i,
                url=links.url,
                thumbnail_url=links.thumbnail_url,
                **(known._asdict() if known else {}),
            )
        )
    return refs


def media_ids(raw: str) -> list[int]:
    return [int(i) for i in orjson.loads(raw)] if raw else []


def post_read(
    post: PostFields,
    author: AccountRow,
    urls: MediaUrls,
    *,
    mentions: list[int],
    topics: list[str],
    liked: bool,
    reposted: RepostedRef | None = None,
    media: Mapping[int, MediaFacts] | None = None,
) -> PostRead:
    short, more = excerpt(post.text)
    return PostRead(
        id=post.id,
        author=AccountPublic.of(author, urls),
        text=post.text,
        excerpt=short,
        truncated=more,
        visibility=post.visibility,
        language=post.language,
        media=media_refs(post.media_ids, post.id, urls, media),
        mentions=mentions,
        topics=topics,
        links=links(post.text),
        reposted=reposted,
        parent_id=post.parent_id if post.parent_id != post.root_id else None,
        community_id=post.community_id if not post.removed_from_community else None,
        counts=Counts(
            reposts=post.repost_count,
            comments=post.comment_count,
            likes=post.like_count,
            views=post.view_count,
        ),
        liked=liked,
        created_at=post.created_at,
        edited_at=post.edited_at,
    )


class PostEditRead(BaseModel):
    text: str
    media: list[MediaRef]
    written_at: datetime  # when this version was written

    @classmethod
    def of(cls, edit: PostEdit, urls: MediaUrls) -> PostEditRead:
        return cls(
            text=edit.text,
            media=media_refs(edit.media_ids, edit.post_id, urls),
            written_at=edit.created_at,
        )


class CommentRead(BaseModel):
    id: Id
    post_id: Id
    author: AccountPublic
    text: str
    thread_id: Id  # the top-level comment of its thread (itself, for a top-level comment)
    reply_to_id: Id | None  # the comment it answers
    reply_to_account: AccountPublic | None
    like_count: int
    reply_count: int  # for a top-level comment: replies in its thread
    liked: bool
    replies: list[CommentRead]  # for a top-level comment in a list: its first replies
    created_at: datetime

    @classmethod
    def of(
        cls,
        c: Comment,
        author: AccountRow,
        reply_to: AccountRow | None,
        urls: MediaUrls,
        *,
        liked: bool,
        replies: list[CommentRead] | None = None,
    ) -> CommentRead:
        return cls(
            id=c.id,
            post_id=c.post_id,
            author=AccountPublic.of(author, urls),
            text=c.text,
            thread_id=c.thread_id or c.id,
            reply_to_id=c.reply_to_id,
            reply_to_account=AccountPublic.of(reply_to, urls) if reply_to else None,
            like_count=c.like_count,
            reply_count=c.reply_count,
            liked=liked,
            replies=replies or [],
            created_at=c.created_at,
        )


class TopicRead(BaseModel):
    id: Id
    name: str
    post_count: int
    created_at: datetime

    @classmethod
    def of(cls, t: Topic) -> TopicRead:
        return cls(id=t.id, name=t.name, post_count=t.post_count, created_at=t.created_at)


class TrendingRead(BaseModel):
    rank: int
    topic: TopicRead
    score: float


class CommunityRead(BaseModel):
    id: Id
    name: str
    description: str
    owner_id: Id | None
    member_count: int
    post_count: int
    my_role: Literal["owner", "moderator", "member"] | None
    created_at: datetime

    @classmethod
    def of(cls, c: Community, my_role: str | None) -> CommunityRead:
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            owner_id=c.owner_id,
            member_count=c.member_count,
            post_count=c.post_count,
            my_role=my_role,
            created_at=c.created_at,
        )
