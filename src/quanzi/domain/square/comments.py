"""Comments on posts, as threaded conversations: top-level comments, and replies that each know
the comment they answer and the thread they belong to; likes on comments; "also repost"."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, and_, delete, func, select, update

from quanzi.db.models import Comment, CommentLike, Post, PostLike
from quanzi.db.paginate import window_query
from quanzi.db.upsert import insert_new_only
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.checks import text_field
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.square.queries import access_post, blocked_between, visible, visible_among
from quanzi.domain.square.reposts import do_repost
from quanzi.domain.square.shapes import CommentRead, PostFields
from quanzi.domain.square.topics import record_engagement
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, NotFound
from quanzi.kit.ids import new_id
from quanzi.kit.pagination import Page, Window
from quanzi.kit.words import search_tokens

COMMENT_MAX = 1000
PREVIEW_REPLIES = 3
COMMENT_LIKES = cast(Table, CommentLike.__table__)


def _shown(viewer: Principal | None) -> Any:
    """Comments a viewer sees on a post they may see: not deleted, and not between accounts
    that blocked each other."""
    condition: Any = Comment.deleted_at.is_(None)
    if viewer is not None:
        condition = and_(condition, ~blocked_between(viewer.account_id, Comment.author_id))
    return condition


async def access_comment_on_post(
    tx: Tx, viewer: Principal | None, comment_id: int
) -> tuple[Comment, Post]:
    """The comment and its post, if the viewer may see both. One not-found for a comment that
    is missing, deleted, between blocked accounts, or under a post that is deleted or hidden
    from the viewer: whoever cannot see the post learns nothing about its comments."""
    row = (
        await tx.session.execute(
            select(Comment, Post)
            .join(Post, Post.id == Comment.post_id)
            .where(Comment.id == comment_id, _shown(viewer), visible(viewer))
        )
    ).first()
    if row is None:
        raise NotFound("No such comment.")
    return row[0], row[1]


async def access_comment(tx: Tx, viewer: Principal | None, comment_id: int) -> Comment:
    """The comment if the viewer may see it and its post (see access_comment_on_post)."""
    return (await access_comment_on_post(tx, viewer, comment_id))[0]


async def comments_among(
    tx: Tx, viewer: Principal | None, ids: list[int]
) -> list[tuple[Comment, PostFields]]:
    """The comments of `ids` the viewer may see, each with its post (which they may see too),
    in the order of `ids`: access_comment for many at once, in two queries."""
    if not ids:
        return []
    rows = await tx.session.execute(select(Comment).where(Comment.id.in_(ids), _shown(viewer)))
    found = {c.id: c for c in rows.scalars()}
    posts = {
        p.id: p
        for p in await visible_among(tx, viewer, sorted({c.post_id for c in found.values()}))
    }
    return [
        (found[i], posts[found[i].post_id]) for i in ids if i in found and found[i].post_id in posts
    ]


async def do_comment(
    tx: Tx,
    viewer: Principal,
    post_id: int,
    *,
    text: str,
    reply_to_id: int | None = None,
    also_repost: bool = False,
) -> Comment:
    post = await access_post(tx, viewer, post_id)
    text = text_field(
        text,
        field="text",
        what="A comment",
        code="invalid_comment",
        min_len=1,
        max_len=COMMENT_MAX,
        lines=True,
    )
    answered = None
    if reply_to_id is not None:
        answered = await access_comment(tx, viewer, reply_to_id)
        if answered.post_id != post.id:
            raise NotFound("No such comment.")
    comment = Comment(
        id=new_id(),
        post_id=post.id,
        author_id=viewer.account_id,
        thread_id=None,
        reply_to_id=answered.id if answered else None,
        reply_to_account_id=answered.author_id if answered else None,
        text=text,
        search_tokens=search_tokens(text),
        like_count=0,
        reply_count=0,
        created_at=tx.now,
        deleted_at=None,
    )
    comment.thread_id = (answered.thread_id or answered.id) if answered else comment.id
    tx.session.add(comment)
    await tx.session.flush()
    await tx.session.execute(
        update(Post).where(Post.id == post.id).values(comment_count=Post.comment_count + 1)
    )
    if answered is not None:
        await tx.session.execute(
            update(Comment)
            .where(Comment.id == comment.thread_id)
            .values(reply_count=Comment.reply_count + 1)
        )
    me = viewer.account_id
    data = {"post_id": str(post.id), "comment_id": str(comment.id)}
    if answered is not None and answered.author_id != me:
        await do_notify(
            tx, answered.author_id, "reply", subject_id=comment.id, actor_id=me, data=data
        )
    if post.author_id != me and (answered is None or answered.author_id != post.author_id):
        await do_notify(
            tx, post.author_id, "comment", subject_id=comment.id, actor_id=me, data=data
        )
    await record_engagement(tx, post.root_id or post.id, me, "comment")
    if also_repost:
        await do_repost(tx, viewer, post.id, comment=text)
    return comment


async def do_delete_comment(tx: Tx, viewer: Principal, comment_id: int) -> None:
    """Delete my comment, or any comment on my post."""
    comment, post = await access_comment_on_post(tx, viewer, comment_id)
    if viewer.account_id not in (comment.author_id, post.author_id):
        raise Forbidden(
            "You can delete your comments and comments on your posts.", code="not_yours"
        )
    await erase_comment(tx, comment)


async def erase_comment(tx: Tx, comment: Comment) -> None:
    comment.text = comment.search_tokens = ""
    comment.deleted_at = tx.now
    await tx.session.execute(
        update(Post).where(Post.id == comment.post_id).values(comment_count=Post.comment_count - 1)
    )
    if comment.thread_id != comment.id:
        await tx.session.execute(
            update(Comment)
            .where(Comment.id == comment.thread_id)
            .values(reply_count=Comment.reply_count - 1)
        )


async def do_like_comment(tx: Tx, viewer: Principal, comment_id: int, like: bool) -> Comment:
    """Like or unlike a comment. The count moves in SQL, and only when a like was added or
    taken away, so it stays exact under concurrency (also two devices at the same moment)."""
    comment = await access_comment(tx, viewer, comment_id)
    me = viewer.account_id
    if like:
        changed = await tx.session.execute(
            insert_new_only(tx.dialect, COMMENT_LIKES)
            .values(comment_id=comment.id, account_id=me, created_at=tx.now)
            .returning(COMMENT_LIKES.c.comment_id)
        )
    else:
        changed = await tx.session.execute(
            delete(CommentLike)
            .where(CommentLike.comment_id == comment.id, CommentLike.account_id == me)
            .returning(CommentLike.comment_id)
        )
    if changed.first() is not None:
        await tx.session.execute(
            update(Comment)
            .where(Comment.id == comment.id)
            .values(like_count=Comment.like_count + (1 if like else -1))
        )
        if like and comment.author_id != me:
            await do_notify(
                tx,
                comment.author_id,
                "comment_like",
                subject_id=comment.id,
                actor_id=me,
                data={"post_id": str(comment.post_id), "comment_id": str(comment.id)},
            )
    await tx.session.refresh(comment)
    return comment


# Reading


async def _render(
    tx: Tx,
    viewer: Principal | None,
    comments: list[Comment],
    previews: dict[int, list[Comment]] | None = None,
) -> list[CommentRead]:
    everything = [*comments, *(c for cs in (previews or {}).values() for c in cs)]
    liked: set[int] = set()
    if viewer is not None and everything:
        liked = set(
            (
                await tx.session.execute(
                    select(CommentLike.comment_id).where(
                        CommentLike.account_id == viewer.account_id,
                        CommentLike.comment_id.in_([c.id for c in everything]),
                    )
                )
            ).scalars()
        )
    urls = tx.media_urls

    async def one(c: Comment, replies: list[CommentRead] | None = None) -> CommentRead | None:
        author = await load_account_row(tx, c.author_id)
        if author is None:
            return None
        to = await load_account_row(tx, c.reply_to_account_id) if c.reply_to_account_id else None
        return CommentRead.of(c, author, to, urls, liked=c.id in liked, replies=replies)

    out = []
    for comment in comments:
        replies = [r for r in [await one(x) for x in (previews or {}).get(comment.id, [])] if r]
        read = await one(comment, replies)
        if read is not None:
            out.append(read)
    return out


async def _page(tx: Tx, query: Select[Any], window: Window) -> Page[Comment]:
    rows = (await tx.session.execute(window_query(query, Comment.id, window))).scalars().all()
    return Page.build(list(rows), window, lambda c: c.id)


async def list_threads(
    tx: Tx, viewer: Principal | None, post_id: int, window: Window
) -> tuple[Page[Comment], list[CommentRead]]:
    """Top-level comments of a post, newest first, each with its first replies."""
    await access_post(tx, viewer, post_id)
    page = await _page(
        tx,
        select(Comment).where(
            Comment.post_id == post_id, Comment.thread_id == Comment.id, _shown(viewer)
        ),
        window,
    )
    threads = [c.id for c in page.items]
    previews: dict[int, list[Comment]] = defaultdict(list)
    if threads:
        position = func.row_number().over(partition_by=Comment.thread_id, order_by=Comment.id)
        ranked = (
            select(Comment.id, position.label("n"))
            .where(Comment.thread_id.in_(threads), Comment.id != Comment.thread_id, _shown(viewer))
            .subquery()
        )
        for reply in (
            await tx.session.execute(
                select(Comment)
                .join(ranked, ranked.c.id == Comment.id)
                .where(ranked.c.n <= PREVIEW_REPLIES)
                .order_by(Comment.id)
            )
        ).scalars():
            previews[reply.thread_id or reply.id].append(reply)
    return page, await _render(tx, viewer, list(page.items), previews)


async def list_replies(
    tx: Tx, viewer: Principal | None, comment_id: int, window: Window
) -> tuple[Page[Comment], list[CommentRead]]:
    """The replies of a thread, oldest first as a conversation reads (page forward with
    min_id)."""
    top = await access_comment(tx, viewer, comment_id)
    page = await _page(
        tx,
        select(Comment).where(
            Comment.thread_id == (top.thread_id or top.id),
            Comment.id != Comment.thread_id,
            _shown(viewer),
        ),
        window,
    )
    return page, await _render(tx, viewer, list(page.items))


async def render_comment(tx: Tx, viewer: Principal | None, comment: Comment) -> CommentRead:
    return (await _render(tx, viewer, [comment]))[0]


async def render_comments(
    tx: Tx, viewer: Principal | None, found: list[Comment]
) -> list[CommentRead]:
    """Comments as a list shows them, without their replies."""
    return await _render(tx, viewer, found)


async def do_erase_comments_and_likes(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: its comments and likes go, counts follow."""
    for comment in (
        await tx.session.execute(
            select(Comment).where(Comment.author_id == account_id, Comment.deleted_at.is_(None))
        )
    ).scalars():
        await erase_comment(tx, comment)
    for post_id in (
        await tx.session.execute(select(PostLike.post_id).where(PostLike.account_id == account_id))
    ).scalars():
        await tx.session.execute(
            update(Post).where(Post.id == post_id).values(like_count=Post.like_count - 1)
        )
    await tx.session.execute(delete(PostLike).where(PostLike.account_id == account_id))
    for comment_id in (
        await tx.session.execute(
            select(CommentLike.comment_id).where(CommentLike.account_id == account_id)
        )
    ).scalars():
        await tx.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(like_count=Comment.like_count - 1)
        )
    await tx.session.execute(delete(CommentLike).where(CommentLike.account_id == account_id))


@dataclass(frozen=True, slots=True)
class Context:
    """The conversation around a post or one of its comments, as a viewer may see it."""

    ancestors: list[Comment]  # the comments it answers, the first of the thread first
    descendants: list[Comment]  # the replies below it, each followed by its own (depth first)


CONTEXT_LIMIT = 500


async def context_of(
    tx: Tx, viewer: Principal | None, post: Post, comment: Comment | None = None
) -> Context:
    """The thread around a post (no ancestors; its comments, thread by thread) or around one of
    its comments (the comments it answers; the replies to it), for a post and comment the
    viewer may see (`access_post`, `access_comment_on_post`). Only comments the viewer may see
    are read, oldest first, at most CONTEXT_LIMIT: those of the post, or of the comment's
    thread, where all its ancestors and replies are. A comment hidden from the viewer hides
    the replies below it, and the comments above it from the replies."""
    query = select(Comment).where(Comment.post_id == post.id, _shown(viewer))
    if comment is not None:
        query = query.where(Comment.thread_id == (comment.thread_id or comment.id))
    rows = await tx.session.execute(query.order_by(Comment.id).limit(CONTEXT_LIMIT))
    every = list(rows.scalars())
    by_id = {c.id: c for c in every}
    answers: dict[int, list[Comment]] = defaultdict(list)
    for c in every:
        answers[c.reply_to_id or 0].append(c)
    ancestors: list[Comment] = []
    at = comment.reply_to_id if comment is not None else None
    while at is not None and at in by_id:
        ancestors.insert(0, by_id[at])
        at = by_id[at].reply_to_id
    below: list[Comment] = []
    stack = list(reversed(answers.get(comment.id if comment is not None else 0, [])))
    while stack:
        c = stack.pop()
        below.append(c)
        stack.extend(reversed(answers.get(c.id, [])))
    return Context(ancestors, below)


async def liked_comments(tx: Tx, viewer: Principal | None, ids: list[int]) -> set[int]:
    if viewer is None or not ids:
        return set()
    rows = await tx.session.execute(
        select(CommentLike.comment_id).where(
            CommentLike.account_id == viewer.account_id, CommentLike.comment_id.in_(ids)
        )
    )
    return set(rows.scalars())
