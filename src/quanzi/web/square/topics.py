"""Topics: what is trending, and a topic's timeline."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from quanzi.domain.square import queries, topics
from quanzi.kit.pagination import Window
from quanzi.web.page import MemberPage, WebRoute, show
from quanzi.web.square.render import (
    PAGE_SIZE,
    Cursor,
    next_page_url,
    shown_posts,
    timeline_page,
    topic_url,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/topics")
async def trending(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        rows = await topics.list_trending(tx)
    return await show(page, "square/topics.html", tab="discover", trending=rows)


@router.get("/topics/{name:path}")
async def topic(name: str, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found_topic, found = await queries.topic_timeline(tx, page.principal, name[:100], window)
        posts, handles = await shown_posts(tx, page.principal, list(found.items))
    more = next_page_url(topic_url(found_topic.name), found)
    return await timeline_page(
        page,
        posts,
        handles,
        more,
        "square/topic.html",
        topic=found_topic,
        max_chars=page.services.settings.post_max_chars,
    )
