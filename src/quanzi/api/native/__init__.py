"""The native REST + WebSocket API, mounted at /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.api.native import server, ws
from quanzi.api.native.accounts import endpoints as accounts
from quanzi.api.native.media import endpoints as media

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX)
router.include_router(server.router)
router.include_router(accounts.router)
router.include_router(media.router)
router.include_router(ws.router)

# Files are served outside the versioned API so their URLs stay stable.
files_router = media.files
