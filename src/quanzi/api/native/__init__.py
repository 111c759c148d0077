"""The native REST + WebSocket API, under /api/quanzi/v1."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.api.native import server, ws
from quanzi.api.native.accounts import endpoints as accounts
from quanzi.api.native.chat import endpoints as chat
from quanzi.api.native.common import PREFIX
from quanzi.api.native.contacts import endpoints as contacts
from quanzi.api.native.media import endpoints as media
from quanzi.api.native.moments import endpoints as moments
from quanzi.api.native.notifications import endpoints as notifications
from quanzi.api.native.push import endpoints as push
from quanzi.api.native.square import endpoints as square

# Each router declares its full paths (PREFIX included), so a route's path is its template.
routers: list[APIRouter] = [
    server.router,
    accounts.router,
    contacts.router,
    chat.router,
    notifications.router,
    push.router,
    moments.router,
    square.router,
    media.router,
    media.files,
]
stream = ws.StreamEndpoint()
STREAM_PATH = ws.PATH

__all__ = ["PREFIX", "STREAM_PATH", "routers", "stream"]
