"""Comments on the square: commenting (and replying, optionally reposting too), a thread's
replies, liking and deleting a comment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from quanzi.domain.square import comments
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.page import MemberPage, WebRoute, redirect, render, show
from quanzi.web.square.render import PAGE_SIZE, Back, Cursor, here, local_path, optional_id

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/posts/{post_id}/comments")
async def comment(
    post_id: Id,
    page: MemberPage,
    text: Annotated[str, Form(max_length=10_000)] = "",
    reply_to_id: Annotated[str, Form(max_length=20)] = "",
    also_repost: Annotated[bool, Form()] = False,
) -> Response:
    async with page.services.write() as tx:
        made = await comments.do_comment(
            tx,
            page.principal,
            post_id,
            text=text,
            reply_to_id=optional_id(reply_to_id),
            also_repost=also_repost,
        )
    return redirect(page, f"/posts/{post_id}#c{made.thread_id or made.id}")


@router.get("/comments/{comment_id}/replies")
async def replies(comment_id: Id, page: MemberPage, min_id: Cursor = None) -> Response:
    """The replies of a thread after `min_id`, oldest first as a conversation reads."""
    async with page.services.read() as tx:
        _found, items = await comments.list_replies(
            tx, page.principal, comment_id, Window(min_id=min_id or 0, limit=PAGE_SIZE)
        )
    items.reverse()
    more = (
        f"/comments/{comment_id}/replies?min_id={items[-1].id}" if len(items) == PAGE_SIZE else None
    )
    context: dict[str, Any] = {
        "replies": items,
        "thread_id": comment_id,
        "more_url": more,
        "handles": {},
        "back": here(page),
    }
    if page.htmx:
        await page.load_remarks()
        return render(page, "square/_replies.html", **context)
    return await show(page, "square/replies.html", tab="discover", **context)


@router.post("/comments/{comment_id}/like")
async def like_comment(
    comment_id: Id,
    page: MemberPage,
    like: Annotated[bool, Form()] = True,
    back: Back = "/square",
) -> Response:
    async with page.services.write() as tx:
        c = await comments.do_like_comment(tx, page.principal, comment_id, like)
    if not page.htmx:
        return redirect(page, local_path(back))
    return render(
        page,
        "square/_comment_like.html",
        c={"id": c.id, "like_count": c.like_count, "liked": like},
        back=local_path(back),
    )


@router.post("/posts/{post_id}/comments/{comment_id}/delete")
async def delete_comment(post_id: Id, comment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await comments.do_delete_comment(tx, page.principal, comment_id)
    return redirect(page, f"/posts/{post_id}#comments")
