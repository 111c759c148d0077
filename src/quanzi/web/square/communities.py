"""Topic groups (communities): the list, creating one, its timeline, joining and leaving, its
members and moderators, and taking a post out of it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import Response

from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square import communities
from quanzi.domain.square.shapes import CommunityRead
from quanzi.domain.tx import Tx
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.page import MemberPage, WebRoute, redirect, show
from quanzi.web.square.render import (
    PAGE_SIZE,
    Cursor,
    next_page_url,
    shown_posts,
    timeline_page,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/communities")
async def community_list(page: MemberPage, tab: Literal["mine", "all"] = "mine") -> Response:
    async with page.services.read() as tx:
        found = await communities.list_communities(tx, page.principal, mine=tab == "mine")
    return await show(page, "square/communities.html", tab="discover", which=tab, communities=found)


@router.post("/communities")
async def create_community(
    page: MemberPage,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    async with page.services.write() as tx:
        made = await communities.do_create_community(
            tx, page.principal, name=name, description=description
        )
    return redirect(page, f"/communities/{made.id}")


async def _community(tx: Tx, viewer: Principal, community_id: int) -> CommunityRead:
    found = await communities.access_community(tx, community_id)
    return CommunityRead.of(found, await communities.my_role(tx, viewer, community_id))


@router.get("/communities/{community_id}")
async def community(community_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        group = await _community(tx, page.principal, community_id)
        found = await communities.community_timeline(tx, page.principal, community_id, window)
        posts, handles = await shown_posts(tx, page.principal, list(found.items))
    more = next_page_url(f"/communities/{community_id}", found)
    return await timeline_page(
        page,
        posts,
        handles,
        more,
        "square/community.html",
        community=group,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/communities/{community_id}/join")
async def join(community_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_join(tx, page.principal, community_id)
    return redirect(page, f"/communities/{community_id}")


@router.post("/communities/{community_id}/leave")
async def leave(community_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_leave(tx, page.principal, community_id)
    return redirect(page, f"/communities/{community_id}")


@router.get("/communities/{community_id}/members")
async def members(community_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        group = await _community(tx, page.principal, community_id)
        found = await communities.list_members(tx, community_id)
        people = await load_account_rows(tx, [m.account_id for m in found])
    listed = [
        (people[m.account_id], m.role)
        for m in found
        if m.account_id in people and people[m.account_id].status == "active"
    ]
    return await show(page, "square/members.html", tab="discover", community=group, members=listed)


@router.post("/communities/{community_id}/moderators/{account_id}")
async def set_moderator(
    community_id: Id,
    account_id: Id,
    page: MemberPage,
    moderator: Annotated[bool, Form()] = False,
) -> Response:
    async with page.services.write() as tx:
        await communities.do_set_moderator(tx, page.principal, community_id, account_id, moderator)
    return redirect(page, f"/communities/{community_id}/members")


@router.post("/communities/{community_id}/posts/{post_id}/remove")
async def remove_from_community(community_id: Id, post_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_remove_post(tx, page.principal, community_id, post_id)
    return redirect(page, f"/communities/{community_id}")
