"""Searching posts by their words (Chinese and English), only among posts the viewer may see,
best matches first and, among equals, the newest."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select

from quanzi.db.models import Post
from quanzi.db.search import match
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square.queries import visible
from quanzi.domain.tx import Tx
from quanzi.kit.words import query_words

POSTS = cast(Table, Post.__table__)


async def search_posts(
    tx: Tx, viewer: Principal | None, text: str, *, limit: int, offset: int = 0
) -> list[Post]:
    words = query_words(text)
    if not words:
        return []
    matched = match(tx.dialect, POSTS, words)
    rows = await tx.session.execute(
        select(Post)
        .join(matched, matched.c.id == Post.id)
        .where(visible(viewer))
        .order_by(matched.c.rank, Post.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars())
