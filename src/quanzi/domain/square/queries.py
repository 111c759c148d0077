"""Reading the square: who may see a post (in SQL), timelines, rendering pages of posts.

`visible(viewer)` is the rule, as a SQL condition every query of posts includes:
- deleted posts are seen by nobody;
- public posts by everyone, followers-only posts by the author's followers, mentioned-only
  posts by the accounts they mention; authors always see their own;
- nothing passes between two accounts when either blocked the other.

Building a statement with the rule costs more than running it, so the reads of every page
(timelines, search, rendering) use statements built once with the viewer as a bound parameter
("me") and the posts' ids as another ("ids").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    or_,
    select,
)

from quanzi.db.models import (
    Account,
    Block,
    Follow,
    Media,
    Post,
    PostEdit,
    PostLike,
    PostMention,
    PostTopic,
    Topic,
)
from quanzi.db.paginate import filtered_page, newest_span_first, window_query
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.queries import access_account, load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.media.urls import MediaUrls
from quanzi.domain.square.shapes import (
    MediaFacts,
    PostFields,
    PostRead,
    RepostedRef,
    media_ids,
    post_read,
)
from quanzi.domain.square.viewcount import ViewCounter
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.pagination import Page, Window
from quanzi.kit.posttext import topic_key

# Home reads the newest day first and widens only when that day holds too few posts.
HOME_SPANS = (timedelta(days=1), timedelta(days=7), timedelta(days=30), timedelta(days=365), None)


def follows(viewer_id: int | BindParameter[int], author: Any) -> ColumnElement[bool]:
    return exists(
        select(Follow.id).where(
            Follow.follower_id == viewer_id, Follow.followee_id == author, Follow.status == "active"
        )
    )


def blocked_between(viewer_id: int | BindParameter[int], author: Any) -> ColumnElement[bool]:
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
    return visible_to(viewer.account_id)


def visible_to(me: int | BindParameter[int]) -> ColumnElement[bool]:
    """`visible` for a signed-in viewer given by id (or a bound parameter)."""
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


# Built once: the posts among "ids" that the viewer ("me", when signed in) may see, newest or
# oldest first; and what rendering reads about "ids".
ME: BindParameter[int] = bindparam("me")
IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_VISIBLE_AMONG = {
    (signed_in, ascending): select(Post)
    .where(Post.id.in_(IDS), visible_to(ME) if signed_in else visible(None))
    .order_by(Post.id.asc() if ascending else Post.id.desc())
    for signed_in in (False, True)
    for ascending in (False, True)
}


def _mentions_shown(signed_in: bool) -> Select[int, int]:
    """Whom the posts among "ids" mention, as a viewer is shown it: active accounts, and for a
    signed-in viewer ("me") not those who blocked the viewer, to whom a mention of them reads
    as plain text, as one of an account that does not exist."""
    query = (
        select(PostMention.post_id, PostMention.account_id)
        .join(Account, Account.id == PostMention.account_id)
        .where(PostMention.post_id.in_(IDS), Account.status == "active")
    )
    if signed_in:
        blocked_me = select(Block.blocker_id).where(
            Block.blocker_id == PostMention.account_id, Block.blocked_id == ME
        )
        query = query.where(~exists(blocked_me))
    return query


_MENTIONS_OF = {signed_in: _mentions_shown(signed_in) for signed_in in (False, True)}
_TOPICS_OF = (
    select(PostTopic.post_id, Topic.name)
    .join(Topic, Topic.id == PostTopic.topic_id)
    .where(PostTopic.post_id.in_(IDS))
)
_LIKED_AMONG = select(PostLike.post_id).where(PostLike.account_id == ME, PostLike.post_id.in_(IDS))
_MEDIA_FACTS = select(
    Media.id,
    Media.description,
    Media.width,
    Media.height,
    Media.thumb_width,
    Media.thumb_height,
).where(Media.id.in_(IDS))


async def media_facts(tx: Tx, posts: Sequence[PostFields]) -> dict[int, MediaFacts]:
    """The alt text and sizes of the posts' images (one query, and none for pages without
    images)."""
    ids = [i for p in posts for i in media_ids(p.media_ids)]
    if not ids:
        return {}
    conn = await tx.connection()
    return {row[0]: MediaFacts(*row[1:]) for row in await conn.execute(_MEDIA_FACTS, {"ids": ids})}


async def visible_among(
    tx: Tx, viewer: Principal | None, ids: list[int], *, ascending: bool = False
) -> list[PostFields]:
    """The posts of `ids` that `viewer` may see, newest first (or oldest first), as rows."""
    if not ids:
        return []
    params: dict[str, Any] = {"ids": ids}
    if viewer is not None:
        params["me"] = viewer.account_id
    statement = _VISIBLE_AMONG[(viewer is not None, ascending)]
    conn = await tx.connection()
    return cast(list[PostFields], (await conn.execute(statement, params)).all())


async def access_post(tx: Tx, viewer: Principal | None, post_id: int) -> Post:
    """The post if `viewer` may see it; NotFound for missing and hidden alike."""
    post = (
        await tx.session.execute(select(Post).where(Post.id == post_id, visible(viewer)))
    ).scalar_one_or_none()
    if post is None:
        raise NotFound("No such post.")
    return post


async def view_post(tx: Tx, viewer: Principal | None, post_id: int) -> PostRead:
    """A post as `viewer` sees it, for every door that shows one post: `access_post`, then
    `render_post`."""
    return await render_post(tx, viewer, await access_post(tx, viewer, post_id))


# Rendering


async def render_post(tx: Tx, viewer: Principal | None, post: PostFields) -> PostRead:
    """One post the viewer may see, as they see it; NotFound when its author's account is
    gone (a post without its author is not shown)."""
    reads = await render_posts(tx, viewer, [post])
    if not reads:
        raise NotFound("No such post.")
    return reads[0]


async def render_posts(
    tx: Tx, viewer: Principal | None, posts: Sequence[PostFields]
) -> list[PostRead]:
    """Posts as the viewer sees them, with their originals for reposts: a fixed number of
    queries for the whole page."""
    root_ids = {p.root_id for p in posts if p.root_id is not None}
    roots = {p.id: p for p in await visible_among(tx, viewer, sorted(root_ids))}
    everything = [*posts, *roots.values()]
    ids = [p.id for p in everything]
    authors = await load_account_rows(tx, {p.author_id for p in everything})
    mentions: dict[int, list[int]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    liked: set[int] = set()
    if ids:
        conn = await tx.connection()
        params: dict[str, Any] = {"ids": ids}
        if viewer is not None:
            params["me"] = viewer.account_id
        for post_id, account_id in await conn.execute(_MENTIONS_OF[viewer is not None], params):
            mentions[post_id].append(account_id)
        for post_id, name in await conn.execute(_TOPICS_OF, {"ids": ids}):
            topics[post_id].append(name)
        if viewer is not None:
            liked = set(
                (await conn.execute(_LIKED_AMONG, {"ids": ids, "me": viewer.account_id})).scalars()
            )
    described = await media_facts(tx, everything)
    urls = tx.media_urls
    out: list[PostRead] = []
    for post in posts:
        reposted = None
        if post.root_id is not None:
            root = roots.get(post.root_id)
            root_read = (
                _one(root, authors, urls, mentions, topics, liked, described=described)
                if root
                else None
            )
            reposted = RepostedRef(id=post.root_id, available=root_read is not None, post=root_read)
        read = _one(post, authors, urls, mentions, topics, liked, reposted, described)
        if read is not None:
            out.append(read)
    views = ViewCounter.of(tx)
    if viewer is not None and views is not None:  # views count the audience, not the author
        views.saw(viewer.account_id, [p.id for p in everything if p.author_id != viewer.account_id])
    return out


def _one(
    post: PostFields,
    authors: dict[int, AccountRow],
    urls: MediaUrls,
    mentions: dict[int, list[int]],
    topics: dict[int, list[str]],
    liked: set[int],
    reposted: RepostedRef | None = None,
    described: dict[int, MediaFacts] | None = None,
) -> PostRead | None:
    author = authors.get(post.author_id)
    if author is None:
        return None
    return post_read(
        post,
        author,
        urls,
        mentions=mentions.get(post.id, []),
        topics=topics.get(post.id, []),
        liked=post.id in liked,
        reposted=reposted,
        media=described,
    )


# Timelines


async def page_of(tx: Tx, query: Select[Any], window: Window) -> Page[PostFields]:
    """The page of `window` of `query` (a `select(Post)`), as rows."""
    conn = await tx.connection()
    rows = (await conn.execute(window_query(query, Post.id, window))).all()
    return Page.build(cast(list[PostFields], rows), window, lambda p: p.id)


async def visible_page(
    tx: Tx, viewer: Principal | None, candidates: Select[int], window: Window
) -> Page[PostFields]:
    """The page of `window` among the posts whose ids `candidates` selects, keeping those
    `viewer` may see; the rule is applied to the candidates near the page only (filtered_page),
    not to all posts of every account followed."""

    async def shown(ids: list[int]) -> list[PostFields]:
        return await visible_among(tx, viewer, ids, ascending=window.ascending)

    return await filtered_page(tx.session, candidates, Post.id, window, shown, lambda p: p.id)


async def home_timeline(tx: Tx, viewer: Principal, window: Window) -> Page[PostFields]:
    """Posts of the accounts I follow, and mine, newest first. Read by time span: the newest
    day first, wider spans only when it holds too few (most home timelines fill from a day).
    Candidates come from the index of posts by author, the visibility rule is applied to the
    few near the page (visible_page)."""
    me = viewer.account_id
    followed = select(Follow.followee_id).where(Follow.follower_id == me, Follow.status == "active")
    candidates = select(Post.id).where(or_(Post.author_id.in_(followed), Post.author_id == me))

    async def page_of(after: int | None) -> Page[PostFields]:
        bounded = candidates if after is None else candidates.where(Post.id > after)
        return await visible_page(tx, viewer, bounded, window)

    return await newest_span_first(window, HOME_SPANS, page_of)


async def public_timeline(tx: Tx, viewer: Principal | None, window: Window) -> Page[PostFields]:
    """Every public post, newest first (what a visitor to the square sees)."""
    query = select(Post).where(Post.visibility == "public", visible(viewer))
    return await page_of(tx, query, window)


async def account_timeline(
    tx: Tx, viewer: Principal | None, account_id: int, window: Window
) -> Page[PostFields]:
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
) -> tuple[Topic, Page[PostFields]]:
    topic = await access_topic(tx, name)
    query = (
        select(Post)
        .join(PostTopic, PostTopic.post_id == Post.id)
        .where(PostTopic.topic_id == topic.id, visible(viewer))
    )
    return topic, await page_of(tx, query, window)


async def reposts_of(
    tx: Tx, viewer: Principal | None, post_id: int, window: Window
) -> Page[PostFields]:
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


_REPOSTED_AMONG = select(Post.root_id).where(
    Post.author_id == ME, Post.root_id.in_(IDS), Post.deleted_at.is_(None)
)


async def reposted_among(tx: Tx, viewer: Principal, ids: Sequence[int]) -> set[int]:
    """Which of these posts the viewer has reposted (and not deleted the repost)."""
    if not ids:
        return set()
    conn = await tx.connection()
    rows = await conn.execute(_REPOSTED_AMONG, {"ids": list(ids), "me": viewer.account_id})
    return {int(r) for r in rows.scalars() if r is not None}


async def likers_of(tx: Tx, viewer: Principal | None, post_id: int, limit: int) -> list[AccountRow]:
    """Who liked a post the viewer may see, most recent first; accounts that blocked the
    viewer, or that the viewer blocked, are left out."""
    await access_post(tx, viewer, post_id)
    query = select(PostLike.account_id).where(PostLike.post_id == post_id)
    if viewer is not None:
        query = query.where(~blocked_between(viewer.account_id, PostLike.account_id))
    ids = list(
        (
            await tx.session.execute(query.order_by(PostLike.created_at.desc()).limit(limit))
        ).scalars()
    )
    rows = await load_account_rows(tx, ids)
    return [rows[i] for i in ids if i in rows and rows[i].status == "active"]
