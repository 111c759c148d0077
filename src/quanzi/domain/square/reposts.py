"""Reposts as Mastodon's reblogs: a repost without words of its own, made once.

On the square every repost is a post of its own (`actions.do_repost`), as on Weibo: reposting
twice makes two reposts, and a plain repost is liked as itself. Mastodon's reblog is a boost
that a person gives once and takes back: so a plain repost stands for its original (what a
favourite or reblog of it acts on), and reblogging twice gives the first reblog back.
"""

from __future__ import annotations

from sqlalchemy import select

from quanzi.db.models import Post
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square.actions import do_repost, do_unrepost
from quanzi.domain.square.queries import access_post
from quanzi.domain.square.views import is_plain_repost
from quanzi.domain.tx import Tx


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
