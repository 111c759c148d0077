"""The realtime stream: one authenticated WebSocket per device at /api/quanzi/v1/stream.

Server to client, every frame is {"type": ..., "payload": {...}}: first a "hello", then the
events of the account (e.g. "account.updated"), "pong" answers, and "stream.resync" when the
client should catch up from the REST API because this server may have missed events. Client to
server: {"type": "ping"} (answered by "pong"); more types arrive with chats. The protocol is in
docs/api.md.

This endpoint is a bare ASGI application rather than a FastAPI route: an idle socket then
holds only this coroutine and uvicorn's protocol state, not a dependency-injection stack
(about 20 KiB instead of 32 KiB per connection, see docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Receive, Scope, Send

from quanzi.api.deps import SESSION_COOKIE
from quanzi.api.errors import error_body
from quanzi.api.native.chat import stream as chat_stream
from quanzi.api.native.common import PREFIX
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.sessions import Principal
from quanzi.errors import QuanziError, Unauthorized
from quanzi.realtime.gateway import CLOSE_SESSION_REVOKED, Connection, frame
from quanzi.services import Services

PATH = f"{PREFIX}/stream"
MAX_CLIENT_FRAME = 64 * 1024


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _token(scope: Scope, headers: dict[str, str], services: Services) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("access_token")
    if query:
        return str(query[0])
    cookies = SimpleCookie()
    cookies.load(headers.get("cookie", ""))
    cookie = cookies.get(SESSION_COOKIE)
    if cookie is not None and _same_origin(headers, services):
        return cookie.value  # browsers send cookies cross-site on WebSocket: trust our origin only
    return None


def _same_origin(headers: dict[str, str], services: Services) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return False
    host = headers.get("host", "")
    return origin in {services.settings.public_base, f"http://{host}", f"https://{host}"}


async def _refuse(scope: Scope, send: Send, refused: QuanziError) -> None:
    """Answer the upgrade request with the error, as an HTTP response (where the server lets
    us), else close the socket before accepting it."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = orjson.dumps(error_body(refused.code, refused.message))
        await send(
            {
                "type": "websocket.http.response.start",
                "status": refused.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


class StreamEndpoint:
    """ASGI application for the stream route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        if (await receive())["type"] != "websocket.connect":
            return
        headers = _headers(scope)
        token = _token(scope, headers, services)
        principal = await services.auth.authenticate(token) if token else None
        try:
            if principal is None:
                raise Unauthorized()
            admit(principal, Door.NATIVE)
        except QuanziError as refused:
            await _refuse(scope, send, refused)
            return
        await send({"type": "websocket.accept"})
        conn = services.gateway.attach(send, principal.account_id, principal.session_id)
        if services.revocations.ended(principal):  # ended while the socket was accepted
            conn.close(CLOSE_SESSION_REVOKED, "session ended")
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
        await services.presence.connected(principal.account_id)  # after hello: hello is first
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                if data is None:
                    data = (message.get("bytes") or b"").decode("utf-8", "replace")
                _on_client_frame(services, conn, principal, data)
        finally:
            conn.closed = True
            services.gateway.detach(conn)
            await services.presence.disconnected(principal.account_id)


Handler = Callable[[Services, Connection, Principal, dict[str, Any]], Coroutine[Any, Any, None]]
HANDLERS: dict[str, Handler] = {
    "message.send": chat_stream.send,
    "typing": chat_stream.typing,
    "read": chat_stream.read,
}
_running: set[asyncio.Task[None]] = set()


def _on_client_frame(services: Services, conn: Connection, principal: Principal, data: str) -> None:
    if conn.closed:
        return  # closed by the server (session ended, too slow): nothing more is taken from it
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
    handler = HANDLERS.get(kind)
    if kind == "ping":
        conn.push(frame("pong", {"id": message.get("id")} if "id" in message else None))
    elif handler is not None:
        # Tasks start in the order frames arrive, so one socket's sends keep their order.
        task = asyncio.create_task(handler(services, conn, principal, message))
        _running.add(task)
        task.add_done_callback(_running.discard)
    else:
        conn.push(frame("error", {"code": "unknown_type", "message": f"Unknown type {kind!r}."}))
