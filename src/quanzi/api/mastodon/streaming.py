"""Mastodon's streaming API: live statuses and notifications, as server-sent events
(GET /api/v1/streaming/<stream>) or over one WebSocket that carries several streams
(/api/v1/streaming, `{"type": "subscribe", "stream": ..., "tag": ...}`). Events: `update`,
`status.update`, `delete` and `notification`.

The streams and who may read them are in streams.py, the subscriptions and the delivery of
events in hub.py. Each client is a `Connection` (realtime/connection.py) like every socket:
a bounded queue (QUANZI_WS_SEND_QUEUE frames), closed with 1013 when the client does not keep
up (it catches up over the REST API when it reconnects), and with 4001 when its session ends.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from quanzi.api.credentials import credentials_of
from quanzi.api.mastodon.auth import bearer
from quanzi.api.mastodon.common import V1
from quanzi.api.mastodon.hub import Hub, Subscriber, hub_of
from quanzi.api.mastodon.streams import Stream, authorize, stream_of, viewer_of
from quanzi.api.sockets import refuse, text_of
from quanzi.domain.accounts.sessions import Principal
from quanzi.errors import BadRequest, QuanziError, Unauthorized
from quanzi.realtime.connection import Connection, WebSocketSink
from quanzi.services import Services

router = APIRouter(include_in_schema=False)

PATH = f"{V1}/streaming"
HEARTBEAT = 15.0  # seconds of quiet after which an event stream gets a ":thump" comment
MAX_STREAMS = 50  # subscriptions one WebSocket may hold
MAX_CLIENT_MESSAGE = 4096


def _connect(services: Services, send: Send, viewer: Principal | None, *, sse: bool) -> Subscriber:
    """A subscriber on a new connection, registered with the gateway (and closed at once if
    its session ended meanwhile)."""
    sink = EventStreamSink(send) if sse else WebSocketSink(send)
    account_id, session_id = (viewer.account_id, viewer.session_id) if viewer else (None, None)
    conn = services.gateway.connect(sink, account_id, session_id, native=False)
    return Subscriber(conn, viewer, sse=sse)


# Server-sent events


class EventStreamSink:
    """Frames as chunks of a text/event-stream response; closing ends the response."""

    __slots__ = ("_send",)

    def __init__(self, send: Send) -> None:
        self._send = send

    async def write(self, text: str) -> None:
        await self._send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    async def end(self, code: int, reason: str) -> None:
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})


class EventStream(Response):
    """An endless text/event-stream response for one subscriber: ":)" at once, then its
    frames, with a ":thump" comment after HEARTBEAT quiet seconds. It ends when the client goes away
    (noticed at once, not at the next write) or the server closes the connection."""

    media_type = "text/event-stream"

    def __init__(self, hub: Hub, viewer: Principal | None, stream: Stream) -> None:
        # Not Response.__init__: it would give the endless body a Content-Length of 0.
        self.status_code = 200
        self.background = None
        self.hub, self.viewer, self.stream = hub, viewer, stream
        self.init_headers({"cache-control": "private, no-store", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b":)\n", "more_body": True})
        sub = _connect(self.hub.services, send, self.viewer, sse=True)
        self.hub.add(sub)
        self.hub.subscribe(sub, self.stream)
        watcher = asyncio.create_task(_gone_on_disconnect(receive, sub.conn))
        try:
            seen = sub.conn.written
            while not sub.conn.ended.is_set():
                try:
                    await asyncio.wait_for(sub.conn.ended.wait(), HEARTBEAT)
                except TimeoutError:
                    if sub.conn.written == seen:  # nothing written for HEARTBEAT seconds
                        sub.conn.push(":thump\n")
                    seen = sub.conn.written
        finally:
            watcher.cancel()
            self.hub.remove(sub)
            sub.conn.gone()


async def _gone_on_disconnect(receive: Receive, conn: Connection) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    conn.gone()


async def _event_stream(request: Request, name: str, tag: str | None = None) -> Response:
    stream = stream_of(name, tag)
    services: Services = request.app.state.services
    viewer = await viewer_of(services, bearer(request))
    authorize(viewer, stream)
    return EventStream(hub_of(request.app), viewer, stream)


@router.get(f"{PATH}/health")
async def health() -> Response:
    return PlainTextResponse("OK")


@router.get(f"{PATH}/user")
async def user(request: Request) -> Response:
    return await _event_stream(request, "user")


@router.get(f"{PATH}/user/notification")
async def user_notification(request: Request) -> Response:
    return await _event_stream(request, "user:notification")


@router.get(f"{PATH}/public")
async def public(request: Request) -> Response:
    media = request.query_params.get("only_media") in ("1", "true")
    return await _event_stream(request, "public:media" if media else "public")


@router.get(f"{PATH}/public/local")
async def public_local(request: Request) -> Response:
    media = request.query_params.get("only_media") in ("1", "true")
    return await _event_stream(request, "public:local:media" if media else "public:local")


@router.get(f"{PATH}/public/remote")
async def public_remote(request: Request) -> Response:
    return await _event_stream(request, "public:remote")


@router.get(f"{PATH}/hashtag")
async def hashtag(request: Request) -> Response:
    return await _event_stream(request, "hashtag", request.query_params.get("tag"))


@router.get(f"{PATH}/hashtag/local")
async def hashtag_local(request: Request) -> Response:
    return await _event_stream(request, "hashtag:local", request.query_params.get("tag"))


# WebSocket


class StreamingSocket:
    """ASGI application for /api/v1/streaming: one WebSocket, many streams.

    The token comes as `Authorization: Bearer`, `access_token=` or as the WebSocket
    subprotocol (how Mastodon's web client sends it: the server answers with the same
    subprotocol), read by api/credentials.py; cookies are not taken here. With none, only the
    public streams may be read. `stream=` (with `tag=`) subscribes at once. A bare ASGI
    endpoint, as the native stream (api/native/ws.py) and for the same reason.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        if (await receive())["type"] != "websocket.connect":
            return
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        given = credentials_of(scope, protocol=True)
        try:
            viewer = await viewer_of(services, given.token)
        except Unauthorized as refused:
            await refuse(scope, send, 401, orjson.dumps({"error": refused.message}))
            return
        await send({"type": "websocket.accept", "subprotocol": given.protocol})
        hub = hub_of(scope["app"])
        sub = _connect(services, send, viewer, sse=False)
        hub.add(sub)
        try:
            if "stream" in query:
                _on_request(hub, sub, {**query, "type": "subscribe"})
            while (message := await receive())["type"] != "websocket.disconnect":
                _on_client_message(hub, sub, text_of(message))
        finally:
            hub.remove(sub)
            sub.conn.gone()


def _error(sub: Subscriber, message: str, status: int) -> None:
    sub.conn.push(orjson.dumps({"error": message, "status": status}).decode())


def _on_client_message(hub: Hub, sub: Subscriber, text: str) -> None:
    if sub.conn.closed:
        return  # closed by the server (session ended, too slow): nothing more is taken
    try:
        message = orjson.loads(text) if len(text) <= MAX_CLIENT_MESSAGE else None
    except orjson.JSONDecodeError:
        message = None
    if not isinstance(message, dict):
        _error(sub, "Could not parse the message as JSON", 400)
        return
    _on_request(hub, sub, message)


def _on_request(hub: Hub, sub: Subscriber, message: dict[str, Any]) -> None:
    """A subscribe or unsubscribe request; a refused one is answered with Mastodon's
    `{"error": ..., "status": ...}` message and the socket stays open."""
    try:
        stream = stream_of(message.get("stream"), message.get("tag"))
        if message.get("type") == "subscribe":
            authorize(sub.viewer, stream)
            if stream not in sub.streams and len(sub.streams) >= MAX_STREAMS:
                raise BadRequest("Too many subscriptions", code="too_many_streams")
            hub.subscribe(sub, stream)
        elif message.get("type") == "unsubscribe":
            hub.unsubscribe(sub, stream)
        else:
            raise BadRequest("Unknown message type", code="unknown_type")
    except QuanziError as refused:
        _error(sub, refused.message, refused.status)


socket = StreamingSocket()
