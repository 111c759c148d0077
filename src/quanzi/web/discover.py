"""The Discover tab: the way into Moments, the square, topics, communities and search."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from quanzi.web.page import MemberPage, WebRoute, show

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/discover")
async def discover(page: MemberPage) -> Response:
    return await show(page, "discover.html", tab="discover")
