"""One post's pages: the post with its comment threads, liking, reposting, editing, deleting,
and its earlier versions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from quanzi.domain.square import comments, queries
from quanzi.domain.square.likes import do_like_post, do_unlike_post
from quanzi.domain.square.posts import access_own_post, do_delete_post, do_edit_post
from quanzi.domain.square.reposts import do_repost
from quanzi.domain.square.shapes import CommentRead, PostEditRead
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.page import MemberPage, Page, WebRoute, redirect, render, show
from quanzi.web.square.render import PAGE_SIZE, Back, Cursor, here, local_path, one_post

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _with_threads(page: Page, post_id: int, max_id: int | None) -> dict[str, Any]:
    """A post and a page of its comment threads, as its page shows them."""
    async with page.services.read() as tx:
        p, handles = await one_post(tx, page.principal, post_id)
        found, threads = await comments.list_threads(
            tx, page.principal, post_id, Window(max_id=max_id, limit=PAGE_SIZE)
        )
    more = f"/posts/{post_id}/comments?max_id={found.next_max_id}" if found.next_max_id else None
    return {"p": p, "handles": handles, "threads": threads, "more_url": more, "back": here(page)}


@router.get("/posts/{post_id}")
async def post_page(
    post_id: Id, page: MemberPage, reply_to: Cursor = None, max_id: Cursor = None
) -> Response:
    context = await _with_threads(page, post_id, max_id)
    replying = _find(context["threads"], reply_to) if reply_to else None
    return await show(
        page, "square/post.html", tab="discover", full=True, replying=replying, **context
    )


def _find(threads: list[CommentRead], comment_id: int) -> CommentRead | None:
    for c in threads:
        for one in (c, *c.replies):
            if one.id == comment_id:
                return one
    return None


@router.get("/posts/{post_id}/comments")
async def more_comments(post_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    context = await _with_threads(page, post_id, max_id)
    if page.htmx:
        await page.load_remarks()
        return render(page, "square/_threads.html", **context)
    return await show(page, "square/post.html", tab="discover", full=True, **context)


@router.post("/posts/{post_id}/like")
async def like_post(post_id: Id, page: MemberPage, back: Back = "/square") -> Response:
    return await _like(page, post_id, back, like=True)


@router.post("/posts/{post_id}/unlike")
async def unlike_post(post_id: Id, page: MemberPage, back: Back = "/square") -> Response:
    return await _like(page, post_id, back, like=False)


async def _like(page: Page, post_id: int, back: str, *, like: bool) -> Response:
    """Like or unlike; an HTMX request gets the post's footer back with the new counts."""
    async with page.services.write() as tx:
        if like:
            await do_like_post(tx, page.principal, post_id)
        else:
            await do_unlike_post(tx, page.principal, post_id)
    if not page.htmx:
        return redirect(page, local_path(back))
    async with page.services.read() as tx:
        p, _handles = await one_post(tx, page.principal, post_id)
    return render(page, "square/_post_footer.html", p=p, back=local_path(back))


@router.get("/posts/{post_id}/repost")
async def repost_form(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        p, handles = await one_post(tx, page.principal, post_id)
    return await show(
        page,
        "square/repost.html",
        tab="discover",
        p=p,
        handles=handles,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/posts/{post_id}/reposts")
async def repost(
    post_id: Id,
    page: MemberPage,
    comment: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    async with page.services.write() as tx:
        made = await do_repost(tx, page.principal, post_id, comment=comment)
    return redirect(page, f"/posts/{made.id}")


@router.get("/posts/{post_id}/edit")
async def edit_form(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        await access_own_post(tx, page.principal, post_id)  # only its author edits
        p, handles = await one_post(tx, page.principal, post_id)
    return await show(
        page,
        "square/edit.html",
        tab="discover",
        p=p,
        handles=handles,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/posts/{post_id}/edit")
async def edit(
    post_id: Id, page: MemberPage, text: Annotated[str, Form(max_length=100_000)] = ""
) -> Response:
    async with page.services.write() as tx:
        await do_edit_post(tx, page.principal, post_id, text=text, media_ids=None)
    return redirect(page, f"/posts/{post_id}")


@router.post("/posts/{post_id}/delete")
async def delete(post_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await do_delete_post(tx, page.principal, post_id)
    return redirect(page, "/square")


@router.get("/posts/{post_id}/history")
async def history(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        p, handles = await one_post(tx, page.principal, post_id)
        edits = await queries.edit_history(tx, page.principal, post_id)
    urls = page.services.media_urls
    return await show(
        page,
        "square/history.html",
        tab="discover",
        p=p,
        handles=handles,
        edits=[PostEditRead.of(e, urls) for e in edits],
    )
