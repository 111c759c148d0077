"""The ASGI application: one FastAPI app with every door mounted on the shared services."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.routing import WebSocketRoute

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


class SchemaNotCurrent(RuntimeError):
    pass


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
        await services.start()
        words.load()
        # Everything made so far lives as long as the process: keep the garbage collector
        # from scanning it again and again (full collections otherwise take ~100 ms). And
        # collect the young generation every 20,000 allocations rather than 700: a request
        # allocates a few hundred objects, so the default collects nearly every other request
        # (p99 of `bench api` 19-20 ms with the default, 15 ms with this).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        log.info("started", database=services.db.dialect, bus=services.bus.name)
        try:
            yield
        finally:
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

    app.add_middleware(Edge, body_limit=body_limit, log_requests=settings.access_log)
    for router in native.routers:
        app.include_router(router)
    openapi.install(app, native.routers)
    for router in mastodon.routers:
        app.include_router(router)
    app.router.routes.append(WebSocketRoute(native.STREAM_PATH, native.stream))
    app.router.routes.append(WebSocketRoute(mastodon.STREAMING_PATH, mastodon.streaming_socket))
    app.include_router(ops.router)
    for router in web.routers:
        app.include_router(router)
    app.mount("/static", web.static_files(), name="static")
    return app
