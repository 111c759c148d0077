"""Notifications (list, get, dismiss, clear) and markers. Only what happens on the square and
in follows reaches this door: friend requests, chats, groups and Moments stay out of it."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import (
    ReadNotifications,
    ReadStatuses,
    WriteNotifications,
    WriteStatuses,
)
from quanzi.api.mastodon.common import (
    V1,
    MastodonRoute,
    MastoJSON,
    Params,
    StatusWindow,
    paged,
    parse_id,
    path_id,
    when,
)
from quanzi.api.mastodon.entities import Entity
from quanzi.db.models import Marker, Notification
from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.notifications import actions, markers, queries
from quanzi.domain.notifications.shapes import MASTODON_TYPES
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)

TYPES = MASTODON_TYPES  # quanzi's kind -> Mastodon's type
KINDS = frozenset(TYPES)
WITHOUT_STATUS = frozenset({"follow", "follow_request"})
ON_POSTS = frozenset({"mention", "repost", "like"})  # the others' status is a comment


def kinds_for(types: Sequence[str], excluded: Sequence[str]) -> frozenset[str]:
    return frozenset(k for k, t in TYPES.items() if (not types or t in types) and t not in excluded)


def _status_id(n: Notification) -> int | None:
    data = orjson.loads(n.data or "{}")
    if n.kind == "repost":
        return int(data.get("of") or data["post_id"])
    if n.kind in ("comment", "reply", "comment_like"):
        return int(data["comment_id"])
    if n.kind in ("mention", "like"):
        # A chat's @-mention is a "mention" too, but names a conversation, not a post.
        return int(data["post_id"]) if "post_id" in data else None
    return None


async def render_notifications(
    tx: Tx, viewer: Principal, found: Sequence[Notification]
) -> list[Entity]:
    """Notifications as Mastodon's entities; one whose status is gone (deleted, or no longer
    visible) is left out, as is one from an account that is gone."""
    actors = await load_account_rows(tx, {n.actor_id for n in found if n.actor_id})
    shown = await render.accounts(tx, [r for r in actors.values() if r.status == "active"])
    by_id = {int(a["id"]): a for a in shown}
    # The posts and comments the page names, rendered together (a page names many, often the
    # same ones).
    named = [(n.kind in ON_POSTS, i) for n in found if (i := _status_id(n)) is not None]
    statuses = await render.statuses_by_id(
        tx,
        viewer,
        [i for on_post, i in named if on_post],
        [i for on_post, i in named if not on_post],
    )
    out = []
    for n in found:
        actor = by_id.get(n.actor_id or 0)
        if actor is None or n.kind not in TYPES:
            continue
        status = None
        status_id = _status_id(n)
        if status_id is None and n.kind not in WITHOUT_STATUS:
            continue  # not the square's (a chat's @-mention): chats stay out of this door
        if status_id is not None:
            status = statuses.get(status_id)
            if status is None:
                continue
        out.append(
            {
                "id": str(n.id),
                "type": TYPES[n.kind],
                "created_at": when(n.created_at),
                "group_key": f"ungrouped-{n.id}",
                "account": actor,
                "status": status,
            }
        )
    return out


@router.get(f"{V1}/notifications")
async def list_notifications(
    request: Request, viewer: ReadNotifications, services: ServicesDep, window: StatusWindow
) -> Response:
    params = Params({})
    for key, value in request.query_params.multi_items():
        params.values.setdefault(key.removesuffix("[]"), []).append(value)
    kinds = kinds_for(params.texts("types"), params.texts("exclude_types"))
    async with services.read() as tx:
        page = await queries.list_notifications(tx, viewer, window, kinds=kinds)
        return paged(request, await render_notifications(tx, viewer, page.items), page)


@router.get(f"{V1}/notifications/unread_count")
async def unread_count(viewer: ReadNotifications, services: ServicesDep) -> Response:
    async with services.read() as tx:
        return MastoJSON({"count": await queries.count_unread(tx, viewer, KINDS)})


@router.get(f"{V1}/notifications/{{notification_id}}")
async def get_notification(
    notification_id: str, viewer: ReadNotifications, services: ServicesDep
) -> Response:
    async with services.read() as tx:
        n = await queries.access_notification(tx, viewer, path_id(notification_id), KINDS)
        made = await render_notifications(tx, viewer, [n])
    if not made:
        raise NotFound("Record not found")
    return MastoJSON(made[0])


@router.post(f"{V1}/notifications/clear")
async def clear(viewer: WriteNotifications, services: ServicesDep) -> Response:
    async with services.write() as tx:
        await actions.do_dismiss(tx, viewer, ids=None, kinds=KINDS)
    return MastoJSON({})


@router.post(f"{V1}/notifications/{{notification_id}}/dismiss")
async def dismiss(
    notification_id: str, viewer: WriteNotifications, services: ServicesDep
) -> Response:
    async with services.write() as tx:
        gone = await actions.do_dismiss(tx, viewer, ids=[path_id(notification_id)], kinds=KINDS)
    if not gone:
        raise NotFound("Record not found")
    return MastoJSON({})


# Markers


def _marker(m: Marker) -> Entity:
    return {
        "last_read_id": str(m.last_read_id),
        "version": m.version,
        "updated_at": when(m.updated_at),
    }


@router.get(f"{V1}/markers")
async def get_markers(request: Request, viewer: ReadStatuses, services: ServicesDep) -> Response:
    wanted = [v for k, v in request.query_params.multi_items() if k in ("timeline", "timeline[]")]
    async with services.read() as tx:
        found = await markers.get_markers(tx, viewer, wanted or list(markers.TIMELINES))
    return MastoJSON({m.timeline: _marker(m) for m in found})


@router.post(f"{V1}/markers")
async def save_markers(request: Request, viewer: WriteStatuses, services: ServicesDep) -> Response:
    params = await Params.of(request)
    saved = {}
    async with services.write() as tx:
        for timeline in sorted(markers.TIMELINES):
            raw = params.values.get(timeline)
            if raw is None:
                raw = params.values.get(f"{timeline}[last_read_id]")
                raw = {"last_read_id": raw} if raw is not None else None
            if isinstance(raw, dict) and raw.get("last_read_id") is not None:
                last = parse_id(str(raw["last_read_id"]), "last_read_id")
                if last is not None:
                    saved[timeline] = _marker(
                        await markers.do_save_marker(tx, viewer, timeline, last)
                    )
    return MastoJSON(saved)
