"""Likes of posts: liking (once, also from two devices at the same moment) and unliking, and
what I liked: the posts and comments an account liked, the latest like first (Weibo's "my
likes", Mastodon's favourites). Only the account itself reads this list. (Liking a comment is
`comments.do_like_comment`.)

A like has no id of its own (its key is the pair liked / liker), so a page is cut by the time
of the like: the cursor is that time in microseconds since 1970, an integer like every other
cursor. A like whose post or comment the liker can no longer see (deleted, or its author has
blocked them since) is left out of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, delete, literal, select, union_all, update

from quanzi.db.models import CommentLike, Post, PostLike
from quanzi.db.upsert import insert_new_only
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.square.queries import access_post
from quanzi.domain.square.topics import record_engagement
from quanzi.domain.tx import Tx
from quanzi.kit.pagination import Page, Window

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
POST_LIKES = cast(Table, PostLike.__table__)


async def do_like_post(tx: Tx, viewer: Principal, post_id: int) -> Post:
    """Like a post (twice changes nothing, also from two devices at the same moment)."""
    post = await access_post(tx, viewer, post_id)
    added = await tx.session.execute(
        insert_new_only(tx.dialect, POST_LIKES)
        .values(post_id=post.id, account_id=viewer.account_id, created_at=tx.now)
        .returning(POST_LIKES.c.post_id)
    )
    if added.first() is not None:
        await tx.session.execute(
            update(Post).where(Post.id == post.id).values(like_count=Post.like_count + 1)
        )
        if post.author_id != viewer.account_id:
            await do_notify(
                tx,
                post.author_id,
                "like",
                subject_id=post.id,
                actor_id=viewer.account_id,
                data={"post_id": str(post.id)},
            )
        await record_engagement(tx, post.root_id or post.id, viewer.account_id, "like")
    await tx.session.refresh(post)
    return post


async def do_unlike_post(tx: Tx, viewer: Principal, post_id: int) -> Post:
    post = await access_post(tx, viewer, post_id)
    gone = await tx.session.execute(
        delete(PostLike)
        .where(PostLike.post_id == post.id, PostLike.account_id == viewer.account_id)
        .returning(PostLike.post_id)
    )
    if gone.first() is not None:
        await tx.session.execute(
            update(Post).where(Post.id == post.id).values(like_count=Post.like_count - 1)
        )
    await tx.session.refresh(post)
    return post


@dataclass(frozen=True, slots=True)
class Like:
    kind: Literal["post", "comment"]
    id: int  # of the post or comment liked
    key: int  # the like's time in microseconds: the page's cursor


def like_key(at: datetime) -> int:
    return (at - EPOCH) // MICROSECOND


def _at(key: int) -> datetime:
    return EPOCH + key * MICROSECOND


def _within(column: Any, window: Window) -> list[ColumnElement[bool]]:
    conditions = []
    if window.max_id is not None:
        conditions.append(column < _at(window.max_id))
    after = window.min_id if window.min_id is not None else window.since_id
    if after is not None:
        conditions.append(column > _at(after))
    return conditions


async def likes_page(tx: Tx, viewer: Principal, window: Window) -> Page[Like]:
    """The viewer's likes in `window`, newest first. The page's cursors come from the likes
    read, so a page may be short when some of them are left out by the caller (hidden since)."""
    me = viewer.account_id
    posts = select(
        literal("post").label("kind"), PostLike.post_id.label("id"), PostLike.created_at
    ).where(PostLike.account_id == me, *_within(PostLike.created_at, window))
    comments = select(
        literal("comment").label("kind"), CommentLike.comment_id.label("id"), CommentLike.created_at
    ).where(CommentLike.account_id == me, *_within(CommentLike.created_at, window))
    both = union_all(posts, comments).subquery()
    order = both.c.created_at.asc() if window.ascending else both.c.created_at.desc()
    rows = await tx.session.execute(select(both).order_by(order).limit(window.limit + 1))
    likes = [Like(kind, int(i), like_key(at)) for kind, i, at in rows]
    return Page.build(likes, window, lambda like: like.key)
