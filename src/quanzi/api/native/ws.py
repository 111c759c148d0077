"""The realtime stream: one authenticated WebSocket per device at /api/v1/stream.

Server to client, every frame is {"type": ..., "payload": {...}}: first a "hello", then the
events of the account (e.g. "account.updated"), "pong" answers, and "stream.resync" when the
client should catch up from the REST API because this server may have missed events. Client to
server: {"type": "ping"} (answered by "pong"); more types arrive with chats. The protocol is in
docs/api.md.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from quanzi.api.deps import SESSION_COOKIE
from quanzi.api.errors import error_body
from quanzi.api.native.common import PREFIX
from quanzi.domain.accounts.sessions import Principal
from quanzi.realtime.gateway import Connection, frame
from quanzi.services import Services

router = APIRouter(prefix=PREFIX)

MAX_CLIENT_FRAME = 64 * 1024


def _token(websocket: WebSocket, services: Services) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    query = websocket.query_params.get("access_token")
    if query:
        return query
    cookie = websocket.cookies.get(SESSION_COOKIE)
    if cookie and _same_origin(websocket, services):
        return cookie  # browsers send cookies cross-site on WebSocket: only trust our origin
    return None


def _same_origin(websocket: WebSocket, services: Services) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return False
    host = websocket.headers.get("host", "")
    return origin in {services.settings.public_base, f"http://{host}", f"https://{host}"}


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    token = _token(websocket, services)
    principal = await services.auth.authenticate(token) if token else None
    if principal is None:
        await websocket.send_denial_response(
            JSONResponse(error_body("unauthorized", "Log in first."), status_code=401)
        )
        return
    await websocket.accept()
    conn = services.gateway.attach(websocket.send, principal.account_id, principal.session_id)
    conn.push(
        frame(
            "hello",
            {
                "account_id": str(principal.account_id),
                "session_id": str(principal.session_id),
                "ping_interval": services.settings.ws_ping_interval,
            },
        )
    )
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("text")
            if data is None:
                data = (message.get("bytes") or b"").decode("utf-8", "replace")
            _on_client_frame(conn, principal, data)
    finally:
        conn.closed = True
        services.gateway.detach(conn)


def _on_client_frame(conn: Connection, principal: Principal, data: str) -> None:
    if len(data) > MAX_CLIENT_FRAME:
        conn.push(frame("error", {"code": "too_large", "message": "Frame too large."}))
        return
    try:
        message: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        message = None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        conn.push(frame("error", {"code": "bad_frame", "message": 'Send {"type": ...} JSON.'}))
        return
    kind = message["type"]
    if kind == "ping":
        conn.push(frame("pong", {"id": message.get("id")} if "id" in message else None))
    else:
        conn.push(frame("error", {"code": "unknown_type", "message": f"Unknown type {kind!r}."}))
