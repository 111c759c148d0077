"""Favourites: the statuses I liked (posts and comments), the latest like first, paged by the
Link header (its cursors are the likes' times, domain/square/liked.py)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import ReadFavourites
from quanzi.api.mastodon.common import V1, MastodonRoute, StatusWindow, paged
from quanzi.api.mastodon.entities import Entity
from quanzi.domain.square import queries
from quanzi.domain.square.liked import likes_page
from quanzi.errors import NotFound

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)


@router.get(f"{V1}/favourites")
async def favourites(
    request: Request, viewer: ReadFavourites, services: ServicesDep, window: StatusWindow
) -> Response:
    async with services.read() as tx:
        page = await likes_page(tx, viewer, window)
        post_ids = [like.id for like in page.items if like.kind == "post"]
        posts = await queries.visible_among(tx, viewer, post_ids)
        shown: dict[int, Entity] = {
            int(s["id"]): s for s in await render.statuses(tx, viewer, posts)
        }
        for like in page.items:
            if like.kind == "comment":
                with contextlib.suppress(NotFound):  # deleted, or hidden from me since
                    shown[like.id] = await render.status(tx, viewer, like.id)
        return paged(request, [shown[i.id] for i in page.items if i.id in shown], page)
