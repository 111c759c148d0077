"""Statuses for a viewer: a page of posts (or comments) rendered by the domain, then made into
Mastodon entities with what a page needs gathered in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from quanzi.api.mastodon.entities import Entity, StatusMaker, Urls, account
from quanzi.db.models import Comment, Post
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.square import comments as square_comments
from quanzi.domain.square import queries, shapes
from quanzi.domain.square.posts import NewPost
from quanzi.domain.square.search import Hit
from quanzi.domain.square.shapes import CommentRead, PostFields, PostRead, is_plain_repost
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound


def urls_of(tx: Tx) -> Urls:
    return Urls(tx.settings.public_base)


def public(row: AccountRow | AccountPublic, tx: Tx) -> AccountPublic:
    if isinstance(row, AccountPublic):
        return row
    return AccountPublic.of(row, tx.media_urls)


async def accounts(tx: Tx, rows: Sequence[AccountRow | AccountPublic]) -> list[Entity]:
    urls = urls_of(tx)
    return [account(public(r, tx), urls) for r in rows]


async def one_account(tx: Tx, row: AccountRow | AccountPublic) -> Entity:
    return (await accounts(tx, [row]))[0]


async def maker_for(
    tx: Tx,
    viewer: Principal | None,
    posts: Sequence[PostRead],
) -> StatusMaker:
    """What the statuses of `posts` need, gathered for all of them at once."""
    everything: list[PostRead] = []
    for p in posts:
        everything.append(p)
        if p.reposted is not None and p.reposted.post is not None:
            everything.append(p.reposted.post)
    mentioned_ids = {i for p in everything for i in p.mentions}
    rows = await load_account_rows(tx, mentioned_ids)
    media = tx.media_urls
    mentioned = {i: AccountPublic.of(r, media) for i, r in rows.items() if r.status == "active"}
    return StatusMaker(
        urls_of(tx),
        mentioned=mentioned,
        reblogged=(
            await queries.reposted_among(tx, viewer, [p.id for p in everything])
            if viewer is not None
            else set()
        ),
        viewer_id=viewer.account_id if viewer else None,
    )


async def statuses(tx: Tx, viewer: Principal | None, posts: Sequence[PostFields]) -> list[Entity]:
    """Posts as statuses; a plain repost of something the viewer can no longer see (deleted,
    or hidden from them) is left out, as there is nothing to show in it."""
    reads = await queries.render_posts(tx, viewer, list(posts))
    make = await maker_for(tx, viewer, reads)
    return [make.post(p) for p in reads if not _empty_reblog(p)]


def _empty_reblog(p: PostRead) -> bool:
    return is_plain_repost(p) and p.reposted is not None and p.reposted.post is None


async def new_status(tx: Tx, viewer: Principal, new: NewPost) -> Entity:
    """A status just posted by the viewer, made from what posting found out (nobody has liked
    or reposted it yet): no need to read it back."""
    media = tx.media_urls
    rows = await load_account_rows(tx, {new.post.author_id, *new.mentioned})
    read = shapes.post_read(
        new.post,
        rows[new.post.author_id],
        media,
        mentions=new.mentioned,
        topics=new.topics,
        liked=False,
        media=new.media,
    )
    mentioned = {i: AccountPublic.of(rows[i], media) for i in new.mentioned if i in rows}
    make = StatusMaker(
        urls_of(tx), mentioned=mentioned, reblogged=set(), viewer_id=viewer.account_id
    )
    return make.post(read)


async def statuses_by_id(
    tx: Tx, viewer: Principal | None, post_ids: Iterable[int], comment_ids: Iterable[int]
) -> dict[int, Entity]:
    """Posts and comments named by id, as statuses, by id: a fixed number of queries however
    many are named. Those the viewer may not see (deleted, hidden) are not there."""
    posts = await queries.visible_among(tx, viewer, sorted(set(post_ids)))
    commented = await square_comments.comments_among(tx, viewer, list(dict.fromkeys(comment_ids)))
    return await _statuses_of(tx, viewer, posts, commented)


async def found_statuses(tx: Tx, viewer: Principal | None, found: Sequence[Hit]) -> list[Entity]:
    """Posts and comments that search found (the viewer may see them), as statuses, in order."""
    posts = [hit.post for hit in found if hit.comment is None]
    commented = [(hit.comment, hit.post) for hit in found if hit.comment is not None]
    made = await _statuses_of(tx, viewer, posts, commented)
    return [made[hit.id] for hit in found if hit.id in made]


async def _statuses_of(
    tx: Tx,
    viewer: Principal | None,
    posts: Sequence[PostFields],
    commented: Sequence[tuple[Comment, PostFields]],
) -> dict[int, Entity]:
    parents = {p.id: p for _, p in commented}
    shown = await queries.render_posts(tx, viewer, list(parents.values()))
    comments = [c for c, _ in commented]
    made = [
        *await statuses(tx, viewer, posts),
        *await comments_on(tx, viewer, {p.id: p for p in shown}, comments),
    ]
    return {int(s["id"]): s for s in made}


async def comment_statuses(
    tx: Tx, viewer: Principal | None, post: PostRead, found: Sequence[Comment]
) -> list[Entity]:
    return await comments_on(tx, viewer, {post.id: post}, found)


async def comments_on(
    tx: Tx, viewer: Principal | None, posts: Mapping[int, PostRead], found: Sequence[Comment]
) -> list[Entity]:
    """Comments as statuses, each replying within its post (`posts`, by id: the posts as the
    viewer sees them); a comment whose post is not among them is left out."""
    found = [c for c in found if c.post_id in posts]
    liked = await square_comments.liked_comments(tx, viewer, [c.id for c in found])
    rows = await load_account_rows(
        tx,
        {c.author_id for c in found}
        | {c.reply_to_account_id for c in found if c.reply_to_account_id},
    )
    media = tx.media_urls
    reads = [
        CommentRead.of(
            c,
            rows[c.author_id],
            rows.get(c.reply_to_account_id) if c.reply_to_account_id else None,
            media,
            liked=c.id in liked,
        )
        for c in found
        if c.author_id in rows
    ]
    make = await maker_for(tx, viewer, list(posts.values()))
    return [make.comment(c, posts[c.post_id]) for c in reads]


@dataclass(frozen=True, slots=True)
class Found:
    """What a status id names: a post, or a comment (with its post)."""

    post: Post
    comment: Comment | None = None


async def access_status(tx: Tx, viewer: Principal | None, status_id: int) -> Found:
    """The post or comment with this id, if the viewer may see it (the same 404 otherwise)."""
    try:
        return Found(await queries.access_post(tx, viewer, status_id))
    except NotFound:
        pass
    try:
        comment, post = await square_comments.access_comment_on_post(tx, viewer, status_id)
    except NotFound:
        raise NotFound("Record not found") from None
    return Found(post, comment)


async def status(tx: Tx, viewer: Principal | None, status_id: int) -> Entity:
    found = await access_status(tx, viewer, status_id)
    return await render_found(tx, viewer, found)


async def render_found(tx: Tx, viewer: Principal | None, found: Found) -> Entity:
    if found.comment is None:
        made = await statuses(tx, viewer, [found.post])
        if not made:
            raise NotFound("Record not found")
        return made[0]
    post = await queries.render_post(tx, viewer, found.post)
    made = await comment_statuses(tx, viewer, post, [found.comment])
    if not made:
        raise NotFound("Record not found")
    return made[0]
