"""Mastodon's streaming API: live statuses and notifications, as server-sent events
(GET /api/v1/streaming/<stream>) or over one WebSocket that carries several streams
(/api/v1/streaming, `{"type": "subscribe", "stream": ..., "tag": ...}`).

Streams: `user` (what reaches the home timeline, and notifications), `user:notification`,
`public` and `hashtag` (each with a `:local` twin that is the same here: every account is
local; `public:media` keeps statuses with images). Events: `update`, `status.update`,
`delete` and `notification`.

What to send comes from the bus: `post.new` / `post.updated` / `post.deleted` name the accounts
whose home timelines the post reaches, `post.public` tells of public posts (for the public and
hashtag streams), `notification.new` names the notified account. Events carry ids only: each
status or notification is rendered by the domain *for the subscriber*, so whoever may not see
it (blocked, not a follower, not mentioned) is not sent it. One rendering per distinct viewer
and event; anonymous subscribers share one. Every process keeps its own subscribers (`Hub`),
and every process receives every event (realtime/bus.py), so this works with several
processes.

A subscriber has a bounded queue (QUANZI_WS_SEND_QUEUE frames): a client that does not keep
up is disconnected and catches up over the REST API when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import bearer, caller_of
from quanzi.api.mastodon.common import V1
from quanzi.api.mastodon.entities import Entity
from quanzi.api.mastodon.notifications import KINDS, render_notifications
from quanzi.domain.accounts.doors import Door, admit, admits
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.notifications import queries as notification_queries
from quanzi.domain.notifications.actions import NOTIFICATION_NEW
from quanzi.domain.square import queries as square_queries
from quanzi.domain.square.shapes import POST_DELETED, POST_NEW, POST_PUBLIC, POST_UPDATED
from quanzi.domain.tx import Tx
from quanzi.errors import BadRequest, NotFound, QuanziError, Unauthorized
from quanzi.kit.posttext import topic_key
from quanzi.obs import metrics
from quanzi.obs.logging import get_logger
from quanzi.realtime.events import Event, Revoked
from quanzi.realtime.gateway import (
    CLOSE_GOING_AWAY,
    CLOSE_SESSION_REVOKED,
    CLOSE_TRY_AGAIN_LATER,
)
from quanzi.services import Services

router = APIRouter(include_in_schema=False)
log = get_logger("quanzi.mastodon.streaming")

PATH = f"{V1}/streaming"
HEARTBEAT = 15.0  # seconds between ":thump" comments on a quiet event stream
MAX_STREAMS = 50  # subscriptions one WebSocket may hold
MAX_BACKLOG = 1000  # events waiting to be rendered; beyond this they are dropped (at-most-once)
MAX_CLIENT_MESSAGE = 4096
MAX_TAG = 100

# Mastodon's stream names -> what feeds them here. "local" changes nothing (every account is
# local) and nothing comes from elsewhere, so the remote streams stay quiet.
CHANNELS = {
    "user": "home",
    "user:notification": "notifications",
    "public": "public",
    "public:local": "public",
    "public:media": "public",
    "public:local:media": "public",
    "public:remote": None,
    "public:remote:media": None,
    "hashtag": "tag",
    "hashtag:local": "tag",
}


# Streams and who may read them


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream a client reads: its Mastodon name, and the tag of a hashtag stream as the
    client wrote it (echoed back in WebSocket messages)."""

    name: str
    tag: str | None = None

    @property
    def channel(self) -> str | None:
        return CHANNELS[self.name]

    @property
    def key(self) -> str:
        """The topic a hashtag stream follows, as topics are keyed."""
        return topic_key(self.tag or "")

    @property
    def personal(self) -> bool:
        return self.channel in ("home", "notifications")

    @property
    def media_only(self) -> bool:
        return self.name.endswith(":media")

    @property
    def label(self) -> list[str]:
        return [self.name] if self.tag is None else [self.name, self.tag]


def stream_of(name: Any, tag: Any = None) -> Stream:
    """The stream a client asks for, or BadRequest."""
    if not isinstance(name, str) or name not in CHANNELS:
        raise BadRequest("Unknown stream type", code="unknown_stream")
    if CHANNELS[name] != "tag":
        return Stream(name)
    if not isinstance(tag, str) or not tag.strip().lstrip("#"):
        raise BadRequest("Missing tag name parameter", code="missing_tag")
    return Stream(name, tag.strip().lstrip("#")[:MAX_TAG])


def scope_of(stream: Stream) -> str | None:
    """The scope a token needs to read a stream, as Mastodon asks: `read:statuses` for `user`,
    `read:notifications` for `user:notification`, none for the public and hashtag streams,
    which anyone may read."""
    if not stream.personal:
        return None
    return "read:notifications" if stream.channel == "notifications" else "read:statuses"


def authorize(viewer: Principal | None, stream: Stream) -> None:
    """May this caller read this stream? The user streams need a person, whose token must
    grant the stream's scope (`scope_of`); anyone may read the public ones."""
    if viewer is None:
        if stream.personal:
            raise Unauthorized("Missing access token", code="no_user")
        return
    admit(viewer, Door.MASTODON, scope_of(stream))


async def viewer_of(services: Services, token: str | None) -> Principal | None:
    """The person a token belongs to; None without a token or for an app's own token (which
    reads what anyone may). An unknown token is refused."""
    caller = await caller_of(services, token)
    return caller if isinstance(caller, Principal) else None


# Subscribers


class Gone(Exception):
    """The subscriber was closed: by the server (too slow, session ended) or the client."""


class Subscriber:
    """One client connection: who it is, what it reads, and its bounded queue of frames.

    Frames are put by the hub (synchronously) and taken by the connection's writer. An event
    stream holds one stream; a WebSocket any number, each message naming its stream.
    """

    __slots__ = (
        "_frames",
        "_wake",
        "close_code",
        "closed",
        "limit",
        "notified",
        "reader",
        "sse",
        "streams",
        "viewer",
    )

    def __init__(self, viewer: Principal | None, *, sse: bool, limit: int) -> None:
        self.viewer = viewer
        # Whom statuses are rendered for: the person if the token may read statuses, else no
        # one (such a token reads the public streams as anyone does, learning nothing of the
        # person's own state: likes, reposts, blocks).
        self.reader = viewer if viewer and admits(viewer, Door.MASTODON, "read:statuses") else None
        # Whether notifications reach the user stream (Mastodon: only with read:notifications).
        self.notified = viewer is not None and admits(viewer, Door.MASTODON, "read:notifications")
        self.sse = sse
        self.limit = limit
        self.streams: set[Stream] = set()
        self.closed = False
        self.close_code = 1000
        self._frames: deque[str] = deque()
        self._wake = asyncio.Event()

    @property
    def account_id(self) -> int | None:
        return self.viewer.account_id if self.viewer is not None else None

    def send(self, stream: Stream, event: str, payload: str) -> None:
        if self.sse:
            self.put(f"event: {event}\ndata: {payload}\n\n")
        else:
            self.put(_json({"stream": stream.label, "event": event, "payload": payload}))

    def put(self, frame: str) -> None:
        if self.closed:
            return
        if len(self._frames) >= self.limit:
            metrics.ws_dropped.labels("slow_consumer").inc()
            self.close(CLOSE_TRY_AGAIN_LATER)
            return
        self._frames.append(frame)
        metrics.events_delivered.inc()
        self._wake.set()

    def close(self, code: int = 1000) -> None:
        if not self.closed:
            self.closed, self.close_code = True, code
            self._frames.clear()
            self._wake.set()

    async def next(self, timeout: float | None = None) -> str | None:
        """The next frame; None after `timeout` seconds without one. Raises Gone once closed."""
        while not self._frames:
            if self.closed:
                raise Gone
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        return self._frames.popleft()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# What the hub does for one event


Renderer = Callable[[Tx, Principal | None], Awaitable[Entity | None]]


@dataclass(slots=True)
class Delivery:
    """One event for the subscribers it concerns on this process: either the same payload for
    all (`payload`, the id of a deleted status) or an entity rendered per viewer (`renderer`,
    which answers None for whoever may not see it)."""

    event: str
    targets: list[tuple[Subscriber, Stream]]
    payload: str | None = None
    renderer: Renderer | None = None

    def viewer(self, sub: Subscriber) -> Principal | None:
        """Whom the entity is rendered for: a notification for its person, a status for the
        subscriber's reader (see Subscriber)."""
        return sub.viewer if self.event == "notification" else sub.reader


async def _status(post_id: int, tx: Tx, viewer: Principal | None) -> Entity | None:
    try:
        post = await square_queries.access_post(tx, viewer, post_id)
    except NotFound:
        return None
    return (await render.statuses(tx, viewer, [post]))[0]


async def _notification(notification_id: int, tx: Tx, viewer: Principal | None) -> Entity | None:
    if viewer is None:
        return None
    try:
        found = await notification_queries.access_notification(tx, viewer, notification_id, KINDS)
    except NotFound:
        return None
    made = await render_notifications(tx, viewer, [found])
    return made[0] if made else None


# The square's events -> Mastodon's
POST_EVENTS = {POST_NEW: "update", POST_UPDATED: "status.update", POST_DELETED: "delete"}
PUBLIC_CHANGES = {"new": "update", "updated": "status.update", "deleted": "delete"}


class Hub:
    """This process's Mastodon stream subscribers, indexed by what they read, and the delivery
    of bus events to them. Deliveries run one after another in one task, so each subscriber
    gets events in the order they happened (an update never after its delete)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.subscribers: set[Subscriber] = set()
        # ("home", account id) | ("public", None) | ("tag", topic key) -> who reads it
        self._readers: dict[Route, set[Subscriber]] = {}
        self._backlog: deque[Delivery] = deque()
        self._worker: asyncio.Task[None] | None = None
        services.bus.subscribe(self.handle)
        services.revocations.listen(self.revoke)
        services.on_stopping(self.close_all)

    def close_all(self) -> None:
        """End every stream (the server is stopping): an event stream ends its response, which
        the server waits for; a WebSocket is closed with 1001, going away."""
        for sub in list(self.subscribers):
            sub.close(CLOSE_GOING_AWAY)

    # Who reads what

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)
        if sub.viewer is not None and self.services.revocations.ended(sub.viewer):
            self.revoke_one(sub)  # the session ended while the stream was being opened

    def remove(self, sub: Subscriber) -> None:
        self._unindex(sub)
        self.subscribers.discard(sub)

    def subscribe(self, sub: Subscriber, stream: Stream) -> None:
        self._unindex(sub)
        sub.streams.add(stream)
        self._index(sub)

    def unsubscribe(self, sub: Subscriber, stream: Stream) -> None:
        self._unindex(sub)
        sub.streams.discard(stream)
        self._index(sub)

    def _index(self, sub: Subscriber) -> None:
        for route in _routes(sub):
            self._readers.setdefault(route, set()).add(sub)

    def _unindex(self, sub: Subscriber) -> None:
        for route in _routes(sub):
            readers = self._readers.get(route)
            if readers is not None:
                readers.discard(sub)
                if not readers:
                    del self._readers[route]

    # Events

    def handle(self, event: Event) -> None:
        """Bus handler: find the subscribers of this process an event concerns (now, so the
        work is only queued when someone here cares) and queue its delivery."""
        delivery = self._delivery(event)
        if delivery is None or not delivery.targets:
            return
        if len(self._backlog) >= MAX_BACKLOG:
            log.warning("streaming backlog full; event dropped", event_type=event.type)
            return
        self._backlog.append(delivery)
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="quanzi-mastodon-streaming")

    def _delivery(self, event: Event) -> Delivery | None:
        if event.type in POST_EVENTS:
            targets = self._targets(self._homes(event.users), "home")
            return _post_delivery(POST_EVENTS[event.type], int(event.payload["post_id"]), targets)
        if event.type == POST_PUBLIC:
            readers = [self._readers.get(("public", None), set())]
            readers += [self._readers.get(("tag", key), set()) for key in event.payload["topics"]]
            subs = set().union(*readers)
            targets = [
                (sub, stream)
                for sub, stream in self._targets(subs, "public", "tag")
                if stream.channel == "public" or stream.key in event.payload["topics"]
            ]
            change = PUBLIC_CHANGES[event.payload["change"]]
            return _post_delivery(change, int(event.payload["post_id"]), targets)
        if event.type == NOTIFICATION_NEW and event.payload.get("kind") in KINDS:
            targets = [
                (sub, stream)
                for sub, stream in self._targets(self._homes(event.users), "home", "notifications")
                if sub.notified
            ]
            renderer = partial(_notification, int(event.payload["id"]))
            return Delivery("notification", targets, renderer=renderer)
        return None  # Moments, chats and the rest never reach these streams

    def _homes(self, users: Iterable[int]) -> set[Subscriber]:
        """The subscribers of these accounts' user streams."""
        return set().union(*(self._readers.get(("home", a), set()) for a in users))

    @staticmethod
    def _targets(subs: Iterable[Subscriber], *channels: str) -> list[tuple[Subscriber, Stream]]:
        return [(sub, s) for sub in subs for s in sub.streams if s.channel in channels]

    def revoke(self, revoked: Revoked) -> None:
        """Sessions ended (logged out, revoked, account disabled or deleted): close their
        streams. Called by this process's `Revocations`, for the bus event or the poll."""
        for sub in tuple(self.subscribers):
            viewer = sub.viewer
            if viewer is not None and revoked.covers(viewer.account_id, viewer.session_id):
                self.revoke_one(sub)

    def revoke_one(self, sub: Subscriber) -> None:
        metrics.ws_dropped.labels("revoked").inc()
        self.remove(sub)
        sub.close(CLOSE_SESSION_REVOKED)

    async def _work(self) -> None:
        try:
            while self._backlog:
                delivery = self._backlog.popleft()
                try:
                    await self._deliver(delivery)
                except Exception:
                    log.exception("streaming delivery failed", mastodon_event=delivery.event)
        finally:
            self._worker = None

    async def _deliver(self, delivery: Delivery) -> None:
        shown = await self._payloads(delivery)
        for sub, stream in delivery.targets:
            payload, has_media = shown.get(_account_of(delivery.viewer(sub)), (None, False))
            if payload is not None and (has_media or not stream.media_only):
                sub.send(stream, delivery.event, payload)

    async def _payloads(self, delivery: Delivery) -> dict[int | None, tuple[str | None, bool]]:
        """What each viewer (by account; None: anonymous) is sent: the payload, or None when
        they may not see it, and whether it carries images. Rendered once per viewer."""
        viewers = {
            _account_of(viewer): viewer
            for viewer in (delivery.viewer(sub) for sub, _ in delivery.targets)
        }
        if delivery.renderer is None:
            return dict.fromkeys(viewers, (delivery.payload, True))
        shown: dict[int | None, tuple[str | None, bool]] = {}
        async with self.services.read() as tx:
            for account, viewer in viewers.items():
                entity = await delivery.renderer(tx, viewer)
                shown[account] = (
                    (orjson.dumps(entity).decode(), bool(entity.get("media_attachments")))
                    if entity is not None
                    else (None, False)
                )
        return shown


Route = tuple[str, int | str | None]


def _account_of(viewer: Principal | None) -> int | None:
    return viewer.account_id if viewer is not None else None


def _routes(sub: Subscriber) -> set[Route]:
    """Where a subscriber is found: by account for its user streams, and by what it reads."""
    routes: set[Route] = set()
    for stream in sub.streams:
        if stream.personal:
            routes.add(("home", sub.account_id))
        elif stream.channel == "public":
            routes.add(("public", None))
        elif stream.channel == "tag":
            routes.add(("tag", stream.key))
    return routes


def _post_delivery(event: str, post_id: int, targets: list[tuple[Subscriber, Stream]]) -> Delivery:
    if event == "delete":
        return Delivery(event, targets, payload=str(post_id))
    return Delivery(event, targets, renderer=partial(_status, post_id))


def hub_of(app: Any) -> Hub:
    """This process's hub, made (and subscribed to the bus) when the first stream opens."""
    hub: Hub | None = getattr(app.state, "mastodon_streams", None)
    if hub is None:
        hub = app.state.mastodon_streams = Hub(app.state.services)
    return hub


# Server-sent events


class EventStream(Response):
    """An endless text/event-stream response for one subscriber: ":)" at once, then its
    frames, with a ":thump" comment after HEARTBEAT quiet seconds. It ends when the client
    goes away (noticed at once, not at the next write) or the server closes the subscriber."""

    media_type = "text/event-stream"

    def __init__(self, hub: Hub, sub: Subscriber, stream: Stream) -> None:
        # Not Response.__init__: it would give the endless body a Content-Length of 0.
        self.status_code = 200
        self.background = None
        self.hub, self.sub, self.stream = hub, sub, stream
        self.init_headers({"cache-control": "private, no-store", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.hub.add(self.sub)
        self.hub.subscribe(self.sub, self.stream)
        watcher = asyncio.create_task(_close_on_disconnect(receive, self.sub))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await _write(send, ":)\n")
            while True:
                await _write(send, await self.sub.next(HEARTBEAT) or ":thump\n")
        except Gone:
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-write
        finally:
            watcher.cancel()
            self.hub.remove(self.sub)
            self.sub.close()


async def _write(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


async def _close_on_disconnect(receive: Receive, sub: Subscriber) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    sub.close()


async def _event_stream(request: Request, name: str, tag: str | None = None) -> Response:
    stream = stream_of(name, tag)
    services: Services = request.app.state.services
    viewer = await viewer_of(services, bearer(request))
    authorize(viewer, stream)
    sub = Subscriber(viewer, sse=True, limit=services.settings.ws_send_queue)
    return EventStream(hub_of(request.app), sub, stream)


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

    The token comes as `access_token=`, as the WebSocket subprotocol (how Mastodon's web client
    sends it: the server answers with the same subprotocol) or as `Authorization: Bearer`; with
    none, only the public streams may be read. `stream=` (with `tag=`) subscribes at once.
    A bare ASGI endpoint, as the native stream (api/native/ws.py) and for the same reason.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        if (await receive())["type"] != "websocket.connect":
            return
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        token, protocol = _credentials(scope, query)
        try:
            viewer = await viewer_of(services, token)
        except Unauthorized as refused:
            await _refuse(scope, send, refused)
            return
        await send({"type": "websocket.accept", "subprotocol": protocol})
        hub = hub_of(scope["app"])
        sub = Subscriber(viewer, sse=False, limit=services.settings.ws_send_queue)
        hub.add(sub)
        writer = asyncio.create_task(_write_frames(sub, send))
        try:
            if "stream" in query:
                _on_request(hub, sub, {**query, "type": "subscribe"})
            while (message := await receive())["type"] != "websocket.disconnect":
                text = message.get("text") or (message.get("bytes") or b"").decode(
                    "utf-8", "replace"
                )
                _on_client_message(hub, sub, text)
        finally:
            hub.remove(sub)
            sub.close()
            writer.cancel()


def _credentials(scope: Scope, query: dict[str, str]) -> tuple[str | None, str | None]:
    """The token, and the subprotocol to answer with (the one the client offered, if any)."""
    offered = next(iter(scope.get("subprotocols") or ()), None)  # Sec-WebSocket-Protocol
    auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    if query.get("access_token"):
        token: str | None = query["access_token"]
    elif offered:
        token = offered
    elif auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    else:
        token = None
    return token, offered


async def _refuse(scope: Scope, send: Send, refused: QuanziError) -> None:
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    body = orjson.dumps({"error": refused.message})
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "websocket.http.response.start", "status": 401, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


async def _write_frames(sub: Subscriber, send: Send) -> None:
    """Send the subscriber's frames until it is closed; then close the socket with its code
    (not waiting long: a client that does not read may never take the close frame)."""
    try:
        while True:
            await send({"type": "websocket.send", "text": await sub.next()})
    except Gone:
        with contextlib.suppress(Exception):
            close = {"type": "websocket.close", "code": sub.close_code}
            await asyncio.wait_for(send(close), timeout=2)
    except OSError:
        sub.close()  # the peer went away mid-send; the reader sees the disconnect too


def _text_of(message: Mapping[str, Any]) -> str:
    return message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")


def _on_client_message(hub: Hub, sub: Subscriber, text: str) -> None:
    try:
        message = orjson.loads(text) if len(text) <= MAX_CLIENT_MESSAGE else None
    except orjson.JSONDecodeError:
        message = None
    if not isinstance(message, dict):
        sub.put(_json({"error": "Could not parse the message as JSON", "status": 400}))
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
        sub.put(_json({"error": refused.message, "status": refused.status}))


socket = StreamingSocket()
