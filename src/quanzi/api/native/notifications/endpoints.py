"""Notifications: list, count unread, mark read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quanzi.api.deps import PageWindow, ServicesDep, Viewer
from quanzi.api.native.common import ERRORS, PREFIX, PageOut
from quanzi.domain.notifications import actions, queries
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["notifications"], responses=ERRORS)  # type: ignore[arg-type]


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to_id: Id | None = None
    ids: Annotated[list[Id], Field(max_length=1000)] = []

    @model_validator(mode="after")
    def _something(self) -> MarkRead:
        if self.up_to_id is None and not self.ids:
            raise ValueError("give up_to_id or ids")
        return self


class Marked(BaseModel):
    marked: int


class UnreadCount(BaseModel):
    count: int


@router.get("/notifications", summary="My notifications, newest first")
async def list_notifications(
    viewer: Viewer,
    services: ServicesDep,
    window: PageWindow,
    unread: Annotated[bool, Query(description="Only unread ones")] = False,
) -> PageOut[NotificationRead]:
    async with services.read() as tx:
        page = await queries.list_notifications(tx, viewer, window, unread_only=unread)
    return PageOut.of(page, NotificationRead.of)


@router.get("/notifications/unread_count", summary="How many are unread")
async def unread_count(viewer: Viewer, services: ServicesDep) -> UnreadCount:
    async with services.read() as tx:
        return UnreadCount(count=await queries.count_unread(tx, viewer))


@router.post("/notifications/read", summary="Mark notifications read")
async def mark_read(body: MarkRead, viewer: Viewer, services: ServicesDep) -> Marked:
    async with services.write() as tx:
        marked = await actions.do_mark_read(tx, viewer, up_to_id=body.up_to_id, ids=body.ids)
    return Marked(marked=marked)
