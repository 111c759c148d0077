"""Timelines: home (who I follow, and me), public (the whole square: every account is local),
tag (a topic, `#话题#` or `#tag`). Newest first, paged by max_id / since_id / min_id with Link
headers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import MaybeReader, ReadStatuses
from quanzi.api.mastodon.common import V1, MastodonRoute, StatusWindow, paged
from quanzi.domain.square import queries
from quanzi.errors import NotFound
from quanzi.kit.pagination import Page

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)


@router.get(f"{V1}/timelines/home")
async def home(
    request: Request, viewer: ReadStatuses, services: ServicesDep, window: StatusWindow
) -> Response:
    async with services.read() as tx:
        page = await queries.home_timeline(tx, viewer, window)
        return paged(request, await render.statuses(tx, viewer, page.items), page)


@router.get(f"{V1}/timelines/public")
async def public(
    request: Request, viewer: MaybeReader, services: ServicesDep, window: StatusWindow
) -> Response:
    if request.query_params.get("remote") in ("1", "true"):
        return paged(request, [], Page([], None, None))  # nothing here comes from elsewhere
    async with services.read() as tx:
        page = await queries.public_timeline(tx, viewer, window)
        return paged(request, await render.statuses(tx, viewer, page.items), page)


@router.get(f"{V1}/timelines/tag/{{name:path}}")
async def tag(
    name: str, request: Request, viewer: MaybeReader, services: ServicesDep, window: StatusWindow
) -> Response:
    async with services.read() as tx:
        try:
            _, page = await queries.topic_timeline(tx, viewer, name[:100], window)
        except NotFound:
            return paged(request, [], Page([], None, None))  # an unused tag: an empty timeline
        return paged(request, await render.statuses(tx, viewer, page.items), page)
