"""Moments (朋友圈): the feed, someone's Moments, one Moment, posting, likes and comments.

Every Moment on a page is a `moments/_moment.html` fragment rendered from the domain's
`MomentRead`, which already holds only what this viewer may see (the audience and the
mutual-friend rules are SQL in the domain). Likes, comments and live updates all swap in that
same fragment, fetched again for the viewer, so nothing hidden can reach a page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, UploadFile
from fastapi.responses import Response

from quanzi.domain.accounts.queries import access_account
from quanzi.domain.contacts.queries import list_friends, list_labels
from quanzi.domain.moments import actions, queries
from quanzi.domain.moments.shapes import AudienceKind, MomentRead
from quanzi.kit.ids import MAX_ID
from quanzi.kit.pagination import Window
from quanzi.kit.posttext import parts
from quanzi.kit.wire import Id
from quanzi.web.i18n import _
from quanzi.web.page import MemberPage, Page, WebRoute, redirect, render, show, templates
from quanzi.web.uploads import photo_ids

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 10
MaxId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Ids = Annotated[list[int] | None, Form()]


# The feed, someone's Moments, one Moment


@router.get("/moments")
async def feed(page: MemberPage, max_id: MaxId = None) -> Response:
    async with page.services.read() as tx:
        found = await queries.list_feed(tx, page.principal, Window(max_id=max_id, limit=PAGE_SIZE))
    return await show(
        page,
        "moments/feed.html",
        tab="discover",
        moments=found.items,
        more=_more_url("/moments/page", found.next_max_id),
    )


@router.get("/moments/page")
async def feed_page(page: MemberPage, max_id: MaxId = None) -> Response:
    """The next page of the feed (or the newest one, to show new Moments)."""
    await page.load_remarks()
    async with page.services.read() as tx:
        found = await queries.list_feed(tx, page.principal, Window(max_id=max_id, limit=PAGE_SIZE))
    return render(
        page,
        "moments/_items.html",
        moments=found.items,
        more=_more_url("/moments/page", found.next_max_id),
    )


@router.get("/people/{account_id}/moments")
async def person(account_id: Id, page: MemberPage, max_id: MaxId = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        account = await access_account(tx, page.principal, account_id)
        found = await queries.list_account_moments(tx, page.principal, account_id, window)
    return await show(
        page,
        "moments/person.html",
        tab="discover",
        account=account,
        moments=found.items,
        more=_more_url(f"/people/{account_id}/moments/page", found.next_max_id),
    )


@router.get("/people/{account_id}/moments/page")
async def person_page(account_id: Id, page: MemberPage, max_id: MaxId = None) -> Response:
    await page.load_remarks()
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found = await queries.list_account_moments(tx, page.principal, account_id, window)
    return render(
        page,
        "moments/_items.html",
        moments=found.items,
        more=_more_url(f"/people/{account_id}/moments/page", found.next_max_id),
    )


def _more_url(path: str, next_max_id: int | None) -> str | None:
    return f"{path}?max_id={next_max_id}" if next_max_id is not None else None


# Posting (before /moments/{moment_id}, which would take "new" for an id)


@router.get("/moments/new")
async def new_form(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        friends = await list_friends(tx, page.principal)
        labels = await list_labels(tx, page.principal)
    return await show(
        page,
        "moments/new.html",
        tab="discover",
        friends=friends,
        labels=[label for label, _members in labels],
        media_max=actions.MEDIA_MAX,
    )


@router.post("/moments/new")
async def post(
    page: MemberPage,
    text: Annotated[str, Form(max_length=20_000)] = "",
    location: Annotated[str, Form(max_length=1000)] = "",
    audience: Annotated[AudienceKind, Form()] = "friends",
    account_ids: Ids = None,
    label_ids: Ids = None,
    media_ids: Ids = None,
    photos: list[UploadFile] | None = None,
) -> Response:
    """Photos come as the ids `static/uploads.js` uploaded, or (without script) as files."""
    listed = audience in ("include", "exclude")
    media_ids = await photo_ids(
        page,
        media_ids,
        photos,
        most=actions.MEDIA_MAX,
        too_many=_("A Moment has at most 9 photos."),
    )
    async with page.services.write() as tx:
        await actions.do_post_moment(
            tx,
            page.principal,
            text=text,
            media_ids=media_ids,
            location=location,
            audience=actions.Audience(
                audience,
                list(account_ids or []) if listed else [],
                list(label_ids or []) if listed else [],
            ),
        )
    return redirect(page, "/moments")


# One Moment


@router.get("/moments/{moment_id}")
async def one(moment_id: Id, page: MemberPage) -> Response:
    """One Moment; a hidden one is "No such Moment.", exactly like a missing one."""
    async with page.services.read() as tx:
        moment = await queries.get_moment(tx, page.principal, moment_id)
    return await show(page, "moments/one.html", tab="discover", m=moment)


@router.get("/moments/{moment_id}/fragment")
async def fragment(moment_id: Id, page: MemberPage) -> Response:
    """The Moment as this viewer sees it now (for live updates)."""
    return await _moment(page, moment_id)


async def _moment(page: Page, moment_id: int) -> Response:
    await page.load_remarks()
    async with page.services.read() as tx:
        moment = await queries.get_moment(tx, page.principal, moment_id)
    return render(page, "moments/_moment.html", m=moment)


async def _done(page: Page, moment_id: int) -> Response:
    """After a like or a comment: the Moment again for HTMX, else back to its page."""
    if page.htmx:
        return await _moment(page, moment_id)
    return redirect(page, f"/moments/{moment_id}")


@router.post("/moments/{moment_id}/delete")
async def delete(moment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_delete_moment(tx, page.principal, moment_id)
    on_its_page = urlsplit(page.request.headers.get("hx-current-url", "")).path
    if page.htmx and on_its_page != f"/moments/{moment_id}":
        return render(page, "moments/_gone.html")  # the Moment leaves the list
    return redirect(page, "/moments")


# Likes and comments


@router.post("/moments/{moment_id}/like")
async def like(moment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_like(tx, page.principal, moment_id)
    return await _done(page, moment_id)


@router.post("/moments/{moment_id}/unlike")
async def unlike(moment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_unlike(tx, page.principal, moment_id)
    return await _done(page, moment_id)


@router.post("/moments/{moment_id}/comments")
async def comment(
    moment_id: Id,
    page: MemberPage,
    text: Annotated[str, Form(max_length=10_000)],
    reply_to_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    async with page.services.write() as tx:
        await actions.do_comment(tx, page.principal, moment_id, text=text, reply_to_id=reply_to_id)
    return await _done(page, moment_id)


@router.post("/moments/{moment_id}/comments/{comment_id}/delete")
async def delete_comment(moment_id: Id, comment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_delete_comment(tx, page.principal, moment_id, comment_id)
    return await _done(page, moment_id)


# For the templates


def moment_text(text: str) -> list[tuple[str, bool]]:
    """User text as (piece, is_link) parts: the template escapes every piece and makes the
    http(s) links clickable."""
    return [(part.text, part.kind == "link") for part in parts(text, links_only=True)]


def own_moment(page: Page, moment: MomentRead) -> bool:
    return page.viewer is not None and moment.author.id == page.viewer.account_id


templates.globals.update(
    moment_text=moment_text,
    moment_is_mine=own_moment,
)
