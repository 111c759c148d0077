"""Reposting: Weibo's reposts, and Mastodon's reblogs (a repost without words of its own, made
once).

On the square every repost is a post of its own (`do_repost`), as on Weibo: reposting
twice makes two reposts, and a plain repost is liked as itself. Mastodon's reblog is a boost
that a person gives once and takes back: so a plain repost stands for its original (what a
favourite or reblog of it acts on), and reblogging twice gives the first reblog back.
"""

from __future__ import annotations

from sqlalchemy import select, update

from quanzi.db.models import Account, Post
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.square.announce import announce_post, audience_of
from quanzi.domain.square.posts import (
    VISIBILITIES,
    check_text,
    count_posts,
    erase_announced,
    index_post,
)
from quanzi.domain.square.queries import access_post
from quanzi.domain.square.shapes import is_plain_repost
from quanzi.domain.square.topics import record_engagement
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Invalid
from quanzi.kit.ids import new_id
from quanzi.kit.words import search_tokens


async def do_repost(
    tx: Tx, viewer: Principal, post_id: int, *, comment: str = "", visibility: str = "public"
) -> Post:
    """Repost, with or without a comment. A repost of a repost keeps the original as its root
    and carries the chain: "my comment //@second: their comment //@first: theirs". Only public
    posts can be reposted (a repost must not show a post to people it was not meant for)."""
    parent = await access_post(tx, viewer, post_id)
    root = parent if parent.root_id is None else await access_post(tx, viewer, parent.root_id)
    if root.visibility != "public" or parent.visibility != "public":
        raise Conflict("Only public posts can be reposted.", code="not_repostable")
    if visibility not in VISIBILITIES:
        raise Invalid("Visibility is public, followers or mentioned.", code="invalid_visibility")
    comment = check_text(tx, comment, required=False)
    text = comment
    if parent.root_id is not None:
        author = await tx.session.get(Account, parent.author_id)
        handle = author.handle if author is not None else "?"
        text = f"{comment} //@{handle}: {parent.text}".strip()
    text = text[: tx.settings.post_max_chars]
    post = Post(
        id=new_id(),
        author_id=viewer.account_id,
        text=text,
        visibility=visibility,
        root_id=root.id,
        parent_id=parent.id,
        community_id=None,
        removed_from_community=False,
        media_ids="",
        repost_count=0,
        comment_count=0,
        like_count=0,
        view_count=0,
        created_at=tx.now,
        edited_at=None,
        deleted_at=None,
        search_tokens=search_tokens(text),
    )
    tx.session.add(post)
    await tx.session.flush()
    mentioned = (await index_post(tx, post, [])).mentioned
    await count_posts(tx, viewer.account_id, 1)
    for counted in {root.id, parent.id}:
        await tx.session.execute(
            update(Post).where(Post.id == counted).values(repost_count=Post.repost_count + 1)
        )
    await tx.session.flush()
    for author_id in {root.author_id, parent.author_id} - {viewer.account_id}:
        await do_notify(
            tx,
            author_id,
            "repost",
            subject_id=post.id,
            actor_id=viewer.account_id,
            data={"post_id": str(post.id), "of": str(parent.id)},
        )
    await record_engagement(tx, root.id, viewer.account_id, "repost")
    await announce_post(tx, post, mentioned, await audience_of(tx, post, mentioned))
    return post


async def do_unrepost(tx: Tx, viewer: Principal, post_id: int) -> Post:
    """Take back my plain reposts (those without a comment) of a post; returns the post."""
    post = await access_post(tx, viewer, post_id)
    mine = (
        await tx.session.execute(
            select(Post).where(
                Post.author_id == viewer.account_id,
                Post.root_id == post.id,
                Post.text == "",
                Post.deleted_at.is_(None),
            )
        )
    ).scalars()
    for repost in list(mine):
        await erase_announced(tx, repost)
    await tx.session.flush()
    await tx.session.refresh(post)
    return post


async def stands_for(tx: Tx, viewer: Principal | None, post: Post) -> Post:
    """What a favourite or reblog of `post` (one the viewer may see) acts on: a plain repost
    stands for its original, if the viewer may see it (NotFound otherwise)."""
    if is_plain_repost(post) and post.root_id is not None:
        return await access_post(tx, viewer, post.root_id)
    return post


async def do_reblog(tx: Tx, viewer: Principal, post: Post, *, visibility: str) -> Post:
    """Reblog `post` (one the viewer may see, or the original a plain repost stands for): my
    plain repost of it, the one I made before if I did."""
    original = await stands_for(tx, viewer, post)
    made = await _my_plain_repost(tx, viewer, original.id)
    if made is None:
        made = await do_repost(tx, viewer, original.id, visibility=visibility)
    return made


async def do_unreblog(tx: Tx, viewer: Principal, post: Post) -> Post:
    """Take back my reblogs of `post` (or of the original a plain repost stands for); returns
    what was reblogged."""
    return await do_unrepost(tx, viewer, (await stands_for(tx, viewer, post)).id)


async def _my_plain_repost(tx: Tx, viewer: Principal, post_id: int) -> Post | None:
    """My repost without a comment of a post, if I have one (the newest)."""
    rows = await tx.session.execute(
        select(Post)
        .where(
            Post.author_id == viewer.account_id,
            Post.root_id == post_id,
            Post.text == "",
            Post.deleted_at.is_(None),
        )
        .order_by(Post.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()
