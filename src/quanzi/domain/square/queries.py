"""Reading the square: who may see a post (in SQL), timelines, rendering pages of posts.

`visible(viewer)` is the rule, as a SQL condition every query of posts includes:
- deleted posts are seen by nobody;
- public posts by everyone, followers-only posts by the author's followers, mentioned-only
  posts by the accounts they mention; authors always see their own;
- nothing passes between two accounts when either blocked the other.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from quanzi.db.models import (
    Block,
    Follow,
    Post,
    PostEdit,
    PostLike,
    PostMention,
    PostTopic,
    Topic,
)
from quanzi.db.paginate import window_query
from quanzi.domain.accounts.queries import access_account, load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square.views import PostRead, RepostedRef, post_read
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.ids import id_at, new_id, time_of
from quanzi.kit.pagination import Page, Window
from quanzi.kit.posttext import topic_key

# Home reads the newest day first and widens only when that day holds too few posts.
HOME_SPANS = (timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=365), None)


def follows(viewer_id: int, author: Any) -> ColumnElement[bool]:
    return exists(
        select(Follow.id).where(
            Follow.follower_id == viewer_id, Follow.followee_id == author, Follow.status == "active"
        )
    )


def blocked_between(viewer_id: int, author: Any) -> ColumnElement[bool]:
    return exists(
        select(Block.blocker_id).where(
            or_(
                and_(Block.blocker_id == author, Block.blocked_id == viewer_id),
                and_(Block.blocker_id == viewer_id, Block.blocked_id == author),
            )
        )
    )


def visible(viewer: Principal | None) -> ColumnElement[bool]:
    """The SQL condition for posts `viewer` may see (see the module's docstring)."""
    if viewer is None:
        return and_(Post.deleted_at.is_(None), Post.visibility == "public")
    me = viewer.account_id
    mentioned = exists(
        select(PostMention.post_id).where(
            PostMention.post_id == Post.id, PostMention.account_id == me
        )
    )
    return and_(
        Post.deleted_at.is_(None),
        or_(
            Post.author_id == me,
            and_(
                ~blocked_between(me, Post.author_id),
                or_(
                    Post.visibility == "public",
                    and_(Post.visibility == "followers", follows(me, Post.author_id)),
                    and_(Post.visibility == "mentioned", mentioned),
                ),
            ),
        ),
    )


async def access_post(tx: Tx, viewer: Principal | None, post_id: int) -> Post:
    """The post if `viewer` may see it; NotFound for missing and hidden alike."""
    post = (
        await tx.session.execute(select(Post).where(Post.id == post_id, visible(viewer)))
    ).scalar_one_or_none()
    if post is None:
        raise NotFound("No such post.")
    return post


# Rendering


async def render_posts(tx: Tx, viewer: Principal | None, posts: list[Post]) -> list[PostRead]:
    """Posts as the viewer sees them, with their originals for reposts: a fixed number of
    queries for the whole page."""
    root_ids = {p.root_id for p in posts if p.root_id is not None}
    roots: dict[int, Post] = {}
    if root_ids:
        roots = {
            p.id: p
            for p in (
                await tx.session.execute(select(Post).where(Post.id.in_(root_ids), visible(viewer)))
            ).scalars()
        }
    everything = [*posts, *roots.values()]
    ids = [p.id for p in everything]
    mentions: dict[int, list[int]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    liked: set[int] = set()
    if ids:
        for post_id, account_id in await tx.session.execute(
            select(PostMention.post_id, PostMention.account_id).where(PostMention.post_id.in_(ids))
        ):
            mentions[post_id].append(account_id)
        for post_id, name in await tx.session.execute(
            select(PostTopic.post_id, Topic.name)
            .join(Topic, Topic.id == PostTopic.topic_id)
            .where(PostTopic.post_id.in_(ids))
        ):
            topics[post_id].append(name)
        if viewer is not None:
            liked = set(
                (
                    await tx.session.execute(
                        select(PostLike.post_id).where(
                            PostLike.account_id == viewer.account_id, PostLike.post_id.in_(ids)
                        )
                    )
                ).scalars()
            )
    base = tx.settings.public_base
    out: list[PostRead] = []
    for post in posts:
        reposted = None
        if post.root_id is not None:
            root = roots.get(post.root_id)
            root_read = await _one(tx, root, base, mentions, topics, liked) if root else None
            reposted = RepostedRef(id=post.root_id, available=root_read is not None, post=root_read)
        read = await _one(tx, post, base, mentions, topics, liked, reposted)
        if read is not None:
            out.append(read)
    if viewer is not None and tx.views is not None:  # views count the audience, not the author
        tx.views.saw(
            viewer.account_id, [p.id for p in everything if p.author_id != viewer.account_id]
        )
    return out


async def _one(
    tx: Tx,
    post: Post,
    base: str,
    mentions: dict[int, list[int]],
    topics: dict[int, list[str]],
    liked: set[int],
    reposted: RepostedRef | None = None,
) -> PostRead | None:
    author = await load_account_row(tx, post.author_id)
    if author is None:
        return None
    return post_read(
        post,
        author,
        base,
        mentions=mentions.get(post.id, []),
        topics=topics.get(post.id, []),
        liked=post.id in liked,
        reposted=reposted,
    )


# Timelines


async def page_of(tx: Tx, query: Select[Any], window: Window) -> Page[Post]:
    rows = (await tx.session.execute(window_query(query, Post.id, window))).scalars().all()
    return Page.build(list(rows), window, lambda p: p.id)


async def home_timeline(tx: Tx, viewer: Principal, window: Window) -> Page[Post]:
    """Posts of the accounts I follow, and mine, newest first. Read by time span: the newest
    day first, wider spans only when it holds too few (most home timelines fill from a day)."""
    me = viewer.account_id
    followed = select(Follow.followee_id).where(Follow.follower_id == me, Follow.status == "active")
    query = select(Post).where(
        or_(Post.author_id.in_(followed), Post.author_id == me), visible(viewer)
    )
    if window.min_id is not None or window.since_id is not None:
        return await page_of(tx, query, window)
    top = window.max_id or new_id()
    for span in HOME_SPANS:
        bounded = query if span is None else query.where(Post.id > id_at(time_of(top) - span))
        page = await page_of(tx, bounded, window)
        if len(page.items) >= window.limit or span is None:
            return page
    raise AssertionError("unreachable")


async def public_timeline(tx: Tx, viewer: Principal | None, window: Window) -> Page[Post]:
    """Every public post, newest first (what a visitor to the square sees)."""
    query = select(Post).where(Post.visibility == "public", visible(viewer))
    return await page_of(tx, query, window)


async def account_timeline(
    tx: Tx, viewer: Principal | None, account_id: int, window: Window
) -> Page[Post]:
    await access_account(tx, viewer, account_id)
    query = select(Post).where(Post.author_id == account_id, visible(viewer))
    return await page_of(tx, query, window)


async def access_topic(tx: Tx, name: str) -> Topic:
    topic = (
        await tx.session.execute(select(Topic).where(Topic.key == topic_key(name)))
    ).scalar_one_or_none()
    if topic is None:
        raise NotFound("No such topic.")
    return topic


async def topic_timeline(
    tx: Tx, viewer: Principal | None, name: str, window: Window
) -> tuple[Topic, Page[Post]]:
    topic = await access_topic(tx, name)
    query = (
        select(Post)
        .join(PostTopic, PostTopic.post_id == Post.id)
        .where(PostTopic.topic_id == topic.id, visible(viewer))
    )
    return topic, await page_of(tx, query, window)


async def reposts_of(tx: Tx, viewer: Principal | None, post_id: int, window: Window) -> Page[Post]:
    await access_post(tx, viewer, post_id)
    query = select(Post).where(
        or_(Post.root_id == post_id, Post.parent_id == post_id), visible(viewer)
    )
    return await page_of(tx, query, window)


async def edit_history(tx: Tx, viewer: Principal | None, post_id: int) -> list[PostEdit]:
    await access_post(tx, viewer, post_id)
    rows = await tx.session.execute(
        select(PostEdit).where(PostEdit.post_id == post_id).order_by(PostEdit.id.desc())
    )
    return list(rows.scalars())
