"""Favourites: the statuses I liked (posts and comments), the latest like first, paged by the
Link header (its cursors are the likes' times, domain/square/likes.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import ReadFavourites
from quanzi.api.mastodon.common import V1, MastodonRoute, StatusWindow, paged
from quanzi.domain.square.likes import likes_page

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)


@router.get(f"{V1}/favourites")
async def favourites(
    request: Request, viewer: ReadFavourites, services: ServicesDep, window: StatusWindow
) -> Response:
    async with services.read() as tx:
        page = await likes_page(tx, viewer, window)
        shown = await render.statuses_by_id(
            tx,
            viewer,
            [like.id for like in page.items if like.kind == "post"],
            [like.id for like in page.items if like.kind == "comment"],
        )
        return paged(request, [shown[i.id] for i in page.items if i.id in shown], page)
