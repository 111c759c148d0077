"""Searching posts by their words (Chinese and English), only among posts the viewer may see,
best matches first and, among equals, the newest.

The matches are ranked by the full-text index alone, and the visibility rule is applied to a
batch of them at a time in that order until the page is full: the same page as joining every
match with the posts and the rule, without doing that for the tens of thousands of posts a
common word matches. On SQLite, a word that matches more than RANK_WINDOW posts is ranked among
its newest RANK_WINDOW matches (db/search.py)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select

from quanzi.db.models import Post
from quanzi.db.paginate import candidate_batch
from quanzi.db.search import match, rank_floor
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square.queries import visible_among
from quanzi.domain.square.views import PostFields
from quanzi.domain.tx import Tx
from quanzi.kit.words import query_words

POSTS = cast(Table, Post.__table__)


async def search_posts(
    tx: Tx, viewer: Principal | None, text: str, *, limit: int, offset: int = 0
) -> list[PostFields]:
    words = query_words(text)
    if not words:
        return []
    floor = await rank_floor(tx.session, tx.dialect, POSTS, words)
    matched = match(tx.dialect, POSTS, words, floor)
    ranked = select(matched.c.id).order_by(matched.c.rank, matched.c.id.desc())
    need = offset + limit
    batch = candidate_batch(need)
    found: list[PostFields] = []
    start = 0
    while True:
        ids = list((await tx.session.execute(ranked.limit(batch).offset(start))).scalars())
        shown = {post.id: post for post in await visible_among(tx, viewer, ids)}
        found.extend(shown[i] for i in ids if i in shown)
        if len(found) >= need or len(ids) < batch:
            return found[offset:need]
        start += batch
