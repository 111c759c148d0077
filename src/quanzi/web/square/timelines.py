"""The square's timelines (following and public, with a compose box), posting, and a person's
posts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from quanzi.domain.accounts.queries import lookup_account, view_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square import queries
from quanzi.domain.square.posts import MAX_MEDIA, do_create_post
from quanzi.domain.square.shapes import PostFields
from quanzi.domain.tx import Tx
from quanzi.kit.pagination import Page as Found
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.i18n import _
from quanzi.web.page import MemberPage, WebRoute, redirect, render, show
from quanzi.web.square.render import (
    PAGE_SIZE,
    Back,
    Cursor,
    local_path,
    next_page_url,
    optional_id,
    shown_posts,
    timeline_page,
)
from quanzi.web.uploads import photo_ids

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Timeline = Literal["following", "public"]


async def _read_timeline(
    tx: Tx, viewer: Principal, tab: Timeline, window: Window
) -> Found[PostFields]:
    if tab == "following":
        return await queries.home_timeline(tx, viewer, window)
    return await queries.public_timeline(tx, viewer, window)


@router.get("/square")
async def square(page: MemberPage, tab: Timeline = "following", max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found = await _read_timeline(tx, page.principal, tab, window)
        posts, handles = await shown_posts(tx, page.principal, list(found.items))
    more = next_page_url("/square", found, tab=tab)
    return await timeline_page(
        page,
        posts,
        handles,
        more,
        "square/square.html",
        timeline=tab,
        max_chars=page.services.settings.post_max_chars,
    )


@router.get("/square/latest")
async def latest(
    page: MemberPage, tab: Timeline = "following", since_id: Cursor = None
) -> Response:
    """Posts newer than the newest on the page (the "New posts" button)."""
    window = Window(since_id=since_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found = await _read_timeline(tx, page.principal, tab, window)
        posts, handles = await shown_posts(tx, page.principal, list(found.items))
    await page.load_remarks()
    return render(
        page, "square/_posts.html", posts=posts, handles=handles, more_url=None, back="/square"
    )


@router.get("/square/new")
async def new_post(page: MemberPage) -> Response:
    return await show(
        page, "square/new.html", tab="discover", max_chars=page.services.settings.post_max_chars
    )


@router.post("/square/posts")
async def create_post(
    page: MemberPage,
    text: Annotated[str, Form(max_length=100_000)] = "",
    visibility: Annotated[str, Form(max_length=20)] = "public",
    community_id: Annotated[str, Form(max_length=20)] = "",
    media_ids: Annotated[list[int] | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
    back: Back = "/square",
) -> Response:
    """Photos come as the ids `static/uploads.js` uploaded, or (without script) as files."""
    media_ids = await photo_ids(
        page, media_ids, photos, most=MAX_MEDIA, too_many=_("A post has at most 9 photos.")
    )
    async with page.services.write() as tx:
        await do_create_post(
            tx,
            page.principal,
            text=text,
            media_ids=media_ids,
            visibility=visibility,
            community_id=optional_id(community_id),
        )
    return redirect(page, local_path(back))


@router.get("/square/at/{handle}")
async def person_by_handle(handle: str, page: MemberPage) -> Response:
    """An @handle in a repost chain: the person's page, if they let handles find them."""
    async with page.services.read() as tx:
        account = await lookup_account(tx, page.principal, handle=handle)
    return redirect(page, f"/people/{account.id}")


@router.get("/people/{account_id}/posts")
async def person_posts(account_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        person = await view_account(tx, page.principal, account_id)
        found = await queries.account_timeline(tx, page.principal, account_id, window)
        posts, handles = await shown_posts(tx, page.principal, list(found.items))
    more = next_page_url(f"/people/{account_id}/posts", found)
    return await timeline_page(page, posts, handles, more, "square/person.html", person=person)
