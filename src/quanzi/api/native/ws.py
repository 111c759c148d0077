"""The realtime stream: one authenticated WebSocket per device at /api/quanzi/v1/stream.

Server to client, every frame is {"type": ..., "payload": {...}}: first a "hello", then the
events of the account (any event of the catalogue, domain/events.py, that names it), "pong"
answers, and "stream.resync" when the client should catch up from the REST API because this
server may have missed events. Client to server: {"type": "ping"} (answered by "pong") and the
chat frames (chat/stream.py). The stream's own frame types are in frames.py; the protocol is
in docs/api.md. The web pages' live updates use this stream too (web/static/app.js), with
the session cookie, which counts only from our own origin (api/credentials.py).

This endpoint is a bare ASGI application rather than a FastAPI route: an idle socket then
holds only this coroutine and uvicorn's protocol state, not a dependency-injection stack
(about 20 KiB instead of 32 KiB per connection, see docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from quanzi.api.credentials import credentials_of, same_origin
from quanzi.api.errors import error_body
from quanzi.api.native import frames
from quanzi.api.native.chat import stream as chat_stream
from quanzi.api.native.common import PREFIX
from quanzi.api.sockets import refuse, text_of
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.sessions import Principal
from quanzi.errors import Forbidden, QuanziError, Unauthorized
from quanzi.realtime.connection import Connection
from quanzi.realtime.gateway import frame
from quanzi.services import Services

PATH = f"{PREFIX}/stream"
MAX_CLIENT_FRAME = 64 * 1024


class StreamEndpoint:
    """ASGI application for the stream route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        if (await receive())["type"] != "websocket.connect":
            return
        try:
            principal = await _principal(scope, services)
        except QuanziError as refused:
            body = orjson.dumps(error_body(refused.code, refused.message))
            await refuse(scope, send, refused.status, body)
            return
        await send({"type": "websocket.accept"})
        conn = services.gateway.attach(send, principal.account_id, principal.session_id)
        conn.push(
            frame(
                frames.HELLO,
                {
                    "account_id": str(principal.account_id),
                    "session_id": str(principal.session_id),
                    "ping_interval": services.settings.ws_ping_interval,
                },
            )
        )
        await services.presence.connected(principal.account_id)  # after hello: hello is first
        try:
            while (message := await receive())["type"] != "websocket.disconnect":
                _on_client_frame(services, conn, principal, text_of(message))
        finally:
            conn.gone()
            await services.presence.disconnected(principal.account_id)


async def _principal(scope: Scope, services: Services) -> Principal:
    """The session this socket is for (api/credentials.py: a bearer token, `access_token=`,
    or the web pages' cookie, from our own origin only), which must open the native door."""
    given = credentials_of(scope, cookie=True)
    if given.by_cookie and not same_origin(scope, services.settings.public_base):
        raise Forbidden("Cross-site request refused.", code="csrf")
    principal = await services.auth.authenticate(given.token) if given.token else None
    if principal is None:
        raise Unauthorized()
    return admit(principal, Door.NATIVE)


Handler = Callable[[Services, Connection, Principal, dict[str, Any]], Coroutine[Any, Any, None]]
HANDLERS: dict[str, Handler] = {
    frames.MESSAGE_SEND: chat_stream.send,
    frames.TYPING: chat_stream.typing,
    frames.READ: chat_stream.read,
}
_running: set[asyncio.Task[None]] = set()


def _on_client_frame(services: Services, conn: Connection, principal: Principal, data: str) -> None:
    if conn.closed:
        return  # closed by the server (session ended, too slow): nothing more is taken from it
    if len(data) > MAX_CLIENT_FRAME:
        conn.push(frame(frames.ERROR, {"code": "too_large", "message": "Frame too large."}))
        return
    try:
        message: Any = orjson.loads(data)
    except orjson.JSONDecodeError:
        message = None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        conn.push(frame(frames.ERROR, {"code": "bad_frame", "message": 'Send {"type": ...} JSON.'}))
        return
    kind = message["type"]
    handler = HANDLERS.get(kind)
    if kind == frames.PING:
        conn.push(frame(frames.PONG, {"id": message.get("id")} if "id" in message else None))
    elif handler is not None:
        # Tasks start in the order frames arrive, so one socket's sends keep their order.
        task = asyncio.create_task(handler(services, conn, principal, message))
        _running.add(task)
        task.add_done_callback(_running.discard)
    else:
        conn.push(
            frame(frames.ERROR, {"code": "unknown_type", "message": f"Unknown type {kind!r}."})
        )
