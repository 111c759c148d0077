"""Moments: post, feed, likes and comments."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.api.deps import (
    CreateOnce,
    PageWindow,
    ServicesDep,
    Viewer,
)
from quanzi.api.native.common import ERRORS, PREFIX, PageOut
from quanzi.api.native.moments.schemas import CommentCreate, MomentCreate
from quanzi.db.models import Moment, MomentComment
from quanzi.domain.moments import actions, queries
from quanzi.domain.moments.shapes import CommentRead, MomentRead
from quanzi.domain.tx import Tx
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["moments"], responses=ERRORS)  # type: ignore[arg-type]


@router.post(
    "/moments", status_code=201, summary="Post a Moment to all, some or none of my friends"
)
async def post_moment(
    body: MomentCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> MomentRead:
    async def create(tx: Tx) -> Moment:
        return await actions.do_post_moment(
            tx,
            viewer,
            text=body.text,
            media_ids=body.media_ids,
            location=body.location,
            audience=body.audience.audience(),
        )

    done = await once(viewer, "moment", create)
    async with services.read() as tx:
        return await queries.get_moment(tx, viewer, done.id)


@router.get("/moments", summary="My friends' Moments that I may see, and mine, newest first")
async def feed(viewer: Viewer, services: ServicesDep, window: PageWindow) -> PageOut[MomentRead]:
    async with services.read() as tx:
        page = await queries.list_feed(tx, viewer, window)
    return PageOut.of(page, lambda m: m)


@router.get("/accounts/{account_id}/moments", summary="Someone's Moments that I may see")
async def account_moments(
    account_id: Id, viewer: Viewer, services: ServicesDep, window: PageWindow
) -> PageOut[MomentRead]:
    async with services.read() as tx:
        page = await queries.list_account_moments(tx, viewer, account_id, window)
    return PageOut.of(page, lambda m: m)


@router.get("/moments/{moment_id}", summary="One Moment")
async def get_moment(moment_id: Id, viewer: Viewer, services: ServicesDep) -> MomentRead:
    async with services.read() as tx:
        return await queries.get_moment(tx, viewer, moment_id)


@router.delete("/moments/{moment_id}", status_code=204, summary="Delete my Moment")
async def delete_moment(moment_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_delete_moment(tx, viewer, moment_id)


@router.post("/moments/{moment_id}/like", summary="Like a Moment")
async def like(moment_id: Id, viewer: Viewer, services: ServicesDep) -> MomentRead:
    async with services.write() as tx:
        await actions.do_like(tx, viewer, moment_id)
    async with services.read() as tx:
        return await queries.get_moment(tx, viewer, moment_id)


@router.delete("/moments/{moment_id}/like", summary="Take a like back")
async def unlike(moment_id: Id, viewer: Viewer, services: ServicesDep) -> MomentRead:
    async with services.write() as tx:
        await actions.do_unlike(tx, viewer, moment_id)
    async with services.read() as tx:
        return await queries.get_moment(tx, viewer, moment_id)


@router.post(
    "/moments/{moment_id}/comments", status_code=201, summary="Comment on a Moment, or reply"
)
async def comment(
    moment_id: Id, body: CommentCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> CommentRead:
    async def create(tx: Tx) -> MomentComment:
        return await actions.do_comment(
            tx, viewer, moment_id, text=body.text, reply_to_id=body.reply_to_id
        )

    done = await once(viewer, "moment_comment", create)
    async with services.read() as tx:
        return await queries.get_comment(tx, viewer, moment_id, done.id)


@router.delete(
    "/moments/{moment_id}/comments/{comment_id}",
    status_code=204,
    summary="Delete my comment, or any comment on my Moment",
)
async def delete_comment(
    moment_id: Id, comment_id: Id, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await actions.do_delete_comment(tx, viewer, moment_id, comment_id)
