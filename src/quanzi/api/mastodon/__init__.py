"""The Mastodon-compatible client API (/api/v1, /api/v2, /oauth): existing Mastodon apps and
libraries talk to quanzi's square through it. One module per Mastodon resource; each endpoint
translates and calls the domain, which holds every rule (docs/mastodon.md)."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.api.mastodon import (
    accounts,
    apps,
    favourites,
    instance,
    media,
    notifications,
    push,
    search,
    statuses,
    streaming,
    timelines,
)

# Routes are tried one by one, router by router: the ones apps call most come first.
routers: list[APIRouter] = [
    statuses.router,
    timelines.router,
    notifications.router,
    accounts.router,
    media.router,
    search.router,
    favourites.router,
    streaming.router,
    instance.router,
    push.router,
    apps.router,
]
PREFIXES = ("/api/v1/", "/api/v2/", "/oauth/")
# Where this door answers (the consent page, /oauth/authorize, is a page of the web client).
PATHS = ("/api/v1/", "/api/v2/", "/oauth/token", "/oauth/revoke")
STREAMING_PATH = streaming.PATH  # the WebSocket; its events also come as SSE below it
streaming_socket = streaming.socket

__all__ = ["PATHS", "PREFIXES", "STREAMING_PATH", "routers", "streaming_socket"]
