"""Search: posts, comments, people and topics for a query."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from quanzi.domain.contacts.queries import search_accounts
from quanzi.domain.square import comments, topics
from quanzi.domain.square.search import search_comments, search_posts
from quanzi.domain.square.shapes import CommentRead, PostRead
from quanzi.web.page import MemberPage, WebRoute, show
from quanzi.web.square.render import here, shown_posts

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SEARCH_LIMIT = 20


@router.get("/search")
async def search(page: MemberPage, q: str = "") -> Response:
    q = q.strip()[:200]
    posts: list[PostRead] = []
    found_comments: list[CommentRead] = []
    handles: dict[str, int] = {}
    async with page.services.read() as tx:
        if q:
            found = await search_posts(tx, page.principal, q, limit=SEARCH_LIMIT)
            posts, handles = await shown_posts(tx, page.principal, found)
            commented = await search_comments(tx, page.principal, q, limit=SEARCH_LIMIT)
            found_comments = await comments.render_comments(
                tx, page.principal, [c for c, _ in commented]
            )
            people = await search_accounts(tx, page.principal, q, SEARCH_LIMIT)
            found_topics = await topics.search_topics(tx, q, SEARCH_LIMIT)
        else:
            people, found_topics = [], []
    return await show(
        page,
        "square/search.html",
        tab="discover",
        q=q,
        posts=posts,
        comments=found_comments,
        handles=handles,
        people=people,
        topics=found_topics,
        more_url=None,
        back=here(page),
    )
