"""The square (public microblog): posts, reposts, comments, likes, views, topics, communities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Post(Base):
    """A post, or a repost of one (`root_id` is the original, `parent_id` what was reposted).
    A deleted post keeps its row (without content) so that reposts can say it was deleted."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_author", "author_id", "id"),
        Index("ix_posts_public", "visibility", "id"),
        Index("ix_posts_community", "community_id", "id"),
        Index("ix_posts_root", "root_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    # What full-text search indexes: the text cut into words (Chinese included), space-separated.
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10))  # public | followers | mentioned
    root_id: Mapped[int | None] = mapped_column(BigId)
    parent_id: Mapped[int | None] = mapped_column(BigId)
    community_id: Mapped[int | None] = mapped_column(BigId)
    removed_from_community: Mapped[bool] = mapped_column(Boolean, default=False)
    media_ids: Mapped[str] = mapped_column(Text, default="")  # JSON list, in order
    language: Mapped[str | None] = mapped_column(String(16))  # as the author's client said
    repost_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostEdit(Base):
    """An earlier version of an edited post."""

    __tablename__ = "post_edits"
    __table_args__ = (Index("ix_post_edits_post", "post_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    media_ids: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this version was written


class PostMedia(Base):
    __tablename__ = "post_media"
    __table_args__ = (Index("ix_post_media_media", "media_id"),)

    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class PostMention(Base):
    __tablename__ = "post_mentions"
    __table_args__ = (Index("ix_post_mentions_account", "account_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)


class Topic(Base):
    """A #topic#. `key` is the case-folded name it is unique under."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), unique=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostTopic(Base):
    __tablename__ = "post_topics"
    __table_args__ = (Index("ix_post_topics_post", "post_id"),)

    topic_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )


class PostLike(Base):
    __tablename__ = "post_likes"
    __table_args__ = (Index("ix_post_likes_account", "account_id", "created_at"),)

    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostView(Base):
    """One viewer, one post, one day: how views are counted."""

    __tablename__ = "post_views"

    post_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    viewer_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01 UTC


class Comment(Base):
    """A comment on a post. A reply has `thread_id` (the top-level comment it belongs to) and
    `reply_to_id` (the comment it answers, which may itself be a reply)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post", "post_id", "thread_id", "id"),
        Index("ix_comments_thread", "thread_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(BigId)
    thread_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_id: Mapped[int | None] = mapped_column(BigId)
    reply_to_account_id: Mapped[int | None] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text)
    # What full-text search indexes, as for posts (kit/words.search_tokens).
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommentLike(Base):
    __tablename__ = "comment_likes"
    __table_args__ = (Index("ix_comment_likes_account", "account_id", "created_at"),)

    comment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TopicEvent(Base):
    """Engagement with a topic, for trending: at most one row per account, topic and window,
    so one account counts once however much it posts."""

    __tablename__ = "topic_events"
    __table_args__ = (Index("ix_topic_events_window", "window", "topic_id"),)

    topic_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # minutes since epoch // size
    weight: Mapped[float] = mapped_column(Float)


class TrendingTopic(Base):
    """The current trending list (rewritten by each refresh)."""

    __tablename__ = "trending_topics"

    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(BigId)
    score: Mapped[float] = mapped_column(Float)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Community(Base):
    """A topic group: members post into it; the owner and moderators keep it tidy."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(BigId)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommunityMember(Base):
    __tablename__ = "community_members"
    __table_args__ = (UniqueConstraint("account_id", "community_id"),)

    community_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role: Mapped[str] = mapped_column(String(10))  # owner | moderator | member
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
