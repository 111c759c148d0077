"""Searching posts and comments by their words (Chinese and English), only among those the
viewer may see: those that hold every word whole first, then those where the word being typed
only begins a longer word (db/search.py); within each, best matches first and, among equals,
the newest.

The matches are ranked by the full-text index alone, and the visibility rule is applied to a
batch of them at a time in that order until the page is full: the same page as joining every
match with the posts and the rule, without doing that for the tens of thousands of posts a
common word matches. On SQLite, a query that matches more than RANK_WINDOW documents is ranked
among its newest RANK_WINDOW matches (db/search.py). A comment is shown where its post may be
seen and the comment itself is shown (comments.comments_among)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from heapq import merge
from typing import TypeVar, cast

from sqlalchemy import Table, select

from quanzi.db.models import Comment, Post
from quanzi.db.paginate import candidate_batch
from quanzi.db.search import match, parts, rank_floor
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square.comments import comments_among
from quanzi.domain.square.queries import visible_among
from quanzi.domain.square.shapes import PostFields
from quanzi.domain.tx import Tx
from quanzi.kit.words import Term, query_terms

POSTS = cast(Table, Post.__table__)
COMMENTS = cast(Table, Comment.__table__)

T = TypeVar("T")
# (part, rank, -id, what was found): lower is better, as the search engines rank
Ranked = tuple[int, float, int, T]
CommentHit = tuple[Comment, PostFields]


@dataclass(frozen=True, slots=True)
class Hit:
    """A post found, or a comment found (with its post)."""

    post: PostFields
    comment: Comment | None = None

    @property
    def id(self) -> int:
        return self.comment.id if self.comment is not None else self.post.id


async def search_posts(
    tx: Tx, viewer: Principal | None, text: str, *, limit: int, offset: int = 0
) -> list[PostFields]:
    found = await _ranked(tx, POSTS, query_terms(text), offset + limit, _posts_shown(tx, viewer))
    return [post for _, _, _, post in found[offset:]]


async def search_comments(
    tx: Tx, viewer: Principal | None, text: str, *, limit: int, offset: int = 0
) -> list[CommentHit]:
    """Comments found by their words, each with its post."""
    found = await _ranked(
        tx, COMMENTS, query_terms(text), offset + limit, _comments_shown(tx, viewer)
    )
    return [hit for _, _, _, hit in found[offset:]]


async def search_posts_and_comments(
    tx: Tx, viewer: Principal | None, text: str, *, limit: int, offset: int = 0
) -> list[Hit]:
    """Posts and comments in one list, by rank (a Mastodon app's statuses, where a comment is a
    reply)."""
    terms, need = query_terms(text), offset + limit
    posts: list[Ranked[Hit]] = [
        (part, rank, key, Hit(post))
        for part, rank, key, post in await _ranked(tx, POSTS, terms, need, _posts_shown(tx, viewer))
    ]
    comments: list[Ranked[Hit]] = [
        (part, rank, key, Hit(post, comment))
        for part, rank, key, (comment, post) in await _ranked(
            tx, COMMENTS, terms, need, _comments_shown(tx, viewer)
        )
    ]
    both = list(merge(posts, comments, key=lambda found: found[:3]))
    return [hit for _, _, _, hit in both[offset:need]]


def _posts_shown(
    tx: Tx, viewer: Principal | None
) -> Callable[[list[int]], Awaitable[dict[int, PostFields]]]:
    async def shown(ids: list[int]) -> dict[int, PostFields]:
        return {post.id: post for post in await visible_among(tx, viewer, ids)}

    return shown


def _comments_shown(
    tx: Tx, viewer: Principal | None
) -> Callable[[list[int]], Awaitable[dict[int, CommentHit]]]:
    async def shown(ids: list[int]) -> dict[int, CommentHit]:
        return {hit[0].id: hit for hit in await comments_among(tx, viewer, ids)}

    return shown


async def _ranked(
    tx: Tx,
    target: Table,
    terms: list[Term],
    need: int,
    shown: Callable[[list[int]], Awaitable[dict[int, T]]],
) -> list[Ranked[T]]:
    """The first `need` matches of `terms` in `target` that `shown` lets through, best first:
    a part of the query is asked for only if the parts before it did not find enough."""
    found: list[Ranked[T]] = []
    for part, begun in enumerate(parts(terms)):
        if len(found) >= need:
            break
        floor = await rank_floor(tx.session, tx.dialect, target, terms, begun=begun)
        matched = match(tx.dialect, target, terms, floor, begun=begun)
        ranked = select(matched.c.id, matched.c.rank).order_by(matched.c.rank, matched.c.id.desc())
        batch = candidate_batch(need - len(found))
        start = 0
        while len(found) < need:
            rows = (await tx.session.execute(ranked.limit(batch).offset(start))).all()
            visible = await shown([r.id for r in rows])
            found.extend(
                (part, float(r.rank), -r.id, visible[r.id]) for r in rows if r.id in visible
            )
            if len(rows) < batch:
                break
            start += batch
    return found[:need]
