"""The ASGI application: one FastAPI app with every door mounted on the shared services."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from quanzi import __version__, web
from quanzi.api import errors, mastodon, native, openapi, ops
from quanzi.api.middleware import Edge
from quanzi.config import Settings
from quanzi.db.migrate import pending
from quanzi.kit import words
from quanzi.obs.logging import get_logger
from quanzi.services import Services

log = get_logger("quanzi.app")

MULTIPART_OVERHEAD = 64 * 1024
# Where an image may be uploaded: these take bodies as large as an image (and its form).
MEDIA_PATHS = (
    f"{native.PREFIX}/media",
    "/api/v1/media",
    "/api/v2/media",
    "/api/v1/accounts/update_credentials",
)
GC_THRESHOLDS = (20_000, 20, 20)
EXIT_POLL_SECONDS = 0.2


class SchemaNotCurrent(RuntimeError):
    pass


def mastodon_door(services: Services) -> FastAPI:
    """The Mastodon-compatible API (docs/mastodon.md) as an application on the same services;
    the main application's middleware (Edge) runs before it as before any door."""
    door = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    door.state.services = services
    errors.install(door)
    for router in mastodon.routers:
        door.include_router(router)
    door.router.routes.append(WebSocketRoute(mastodon.STREAMING_PATH, mastodon.streaming_socket))
    return door


class ByPath:
    """ASGI middleware: requests whose path starts with one of `paths` go to `door`, the others
    on down the main application."""

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...], door: ASGIApp) -> None:
        self.app, self.paths, self.door = app, paths, door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith(self.paths):
            await self.door(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _watch_for_exit(services: Services) -> asyncio.Task[None] | None:
    """When uvicorn is told to stop (SIGTERM, Ctrl-C) it closes WebSockets, then waits for open
    responses to end before the app hears of it; an event stream never ends by itself, so
    every restart would wait out QUANZI_SHUTDOWN_GRACE_SECONDS. Under uvicorn (whose signal
    handler is in place while the app starts), watch its `should_exit` flag and tell the
    services at once (`Services.stopping`: the streams end)."""
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    if not isinstance(server, uvicorn.Server):
        return None  # not served by uvicorn's own signal handling (tests, other servers)

    async def watch(server: uvicorn.Server) -> None:
        while not server.should_exit:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
            await asyncio.sleep(EXIT_POLL_SECONDS)
        services.stopping()

    return asyncio.create_task(watch(server), name="quanzi-exit-watch")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        todo = await pending(services.db.writer)
        if todo:
            await services.db.dispose()
            raise SchemaNotCurrent(
                f"the database schema is behind by {len(todo)} migration(s): run `quanzi migrate`"
            )
        await services.start(work=settings.jobs_worker)
        words.load()
        # Everything made so far lives as long as the process: keep the garbage collector
        # from scanning it again and again (full collections otherwise take ~100 ms). And
        # collect the young generation every 20,000 allocations rather than 700: a request
        # allocates a few hundred objects, so the default collects nearly every other request
        # (p99 of `bench api` 19-20 ms with the default, 15 ms with this).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        watcher = _watch_for_exit(services)
        log.info("started", database=services.db.dialect, bus=services.bus.name)
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            await services.stop()
            log.info("stopped")

    app = FastAPI(
        title="quanzi",
        version=__version__,
        summary="Chats, contacts, Moments and a public square on your own server.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)

    def body_limit(path: str) -> int:
        # Uploads: the media endpoint, and the web client's forms (which may carry a picture).
        if path.startswith(MEDIA_PATHS) or not path.startswith("/api/"):
            return settings.media_max_bytes + MULTIPART_OVERHEAD
        return settings.max_json_bytes

    # The Mastodon door is an application of its own, chosen by path before any routing: a
    # request then tries the routes of its own door only (FastAPI tries routes one by one, and
    # each door has about a hundred).
    app.add_middleware(ByPath, paths=mastodon.PATHS, door=mastodon_door(services))
    app.add_middleware(Edge, body_limit=body_limit, log_requests=settings.access_log)
    for router in native.routers:
        app.include_router(router)
    openapi.install(app, native.routers)
    app.router.routes.append(WebSocketRoute(native.STREAM_PATH, native.stream))
    app.include_router(ops.router)
    for router in web.routers:
        app.include_router(router)
    app.mount("/static", web.static_files(), name="static")
    return app
