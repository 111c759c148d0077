"""Who reads which Mastodon stream on this process, and the delivery of bus events to them.

What to send comes from the bus: `post.new` / `post.updated` / `post.deleted` name the accounts
whose home timelines the post reaches, `post.public` tells of public posts (for the public and
hashtag streams), `notification.new` names the notified account. Events carry ids only: each
status or notification is rendered by the domain *for the subscriber*, so whoever may not see
it (blocked, not a follower, not mentioned) is not sent it. One rendering per distinct viewer
and event; anonymous subscribers share one. Every process keeps its own subscribers (`Hub`),
and every process receives every event (realtime/bus.py), so this works with several
processes.

A subscriber writes through a `Connection` (realtime/connection.py), registered with the
gateway like every socket: its bounded queue, the slow-consumer rule (closed with 1013) and the
revocation of its session (closed with 4001) are the same as on the native stream.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from quanzi.api.mastodon import render
from quanzi.api.mastodon.entities import Entity
from quanzi.api.mastodon.notifications import KINDS, render_notifications
from quanzi.api.mastodon.streams import Stream
from quanzi.domain.accounts.doors import Door, admits
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.events import NOTIFICATION_NEW, POST_DELETED, POST_NEW, POST_PUBLIC, POST_UPDATED
from quanzi.domain.notifications import queries as notification_queries
from quanzi.domain.square import queries as square_queries
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.obs import metrics
from quanzi.obs.logging import get_logger
from quanzi.realtime.connection import CLOSE_GOING_AWAY, Connection
from quanzi.realtime.events import Event
from quanzi.services import Services

log = get_logger("quanzi.mastodon.streaming")

MAX_BACKLOG = 1000  # events waiting to be rendered; beyond this they are dropped (at-most-once)


class Subscriber:
    """One client connection: who it is, what it reads, and the connection its frames go to.
    An event stream holds one stream; a WebSocket any number, each message naming its stream.
    """

    __slots__ = ("conn", "notified", "reader", "sse", "streams", "viewer")

    def __init__(self, conn: Connection, viewer: Principal | None, *, sse: bool) -> None:
        self.conn = conn
        self.viewer = viewer
        # Whom statuses are rendered for: the person if the token may read statuses, else no
        # one (such a token reads the public streams as anyone does, learning nothing of the
        # person's own state: likes, reposts, blocks).
        self.reader = viewer if viewer and admits(viewer, Door.MASTODON, "read:statuses") else None
        # Whether notifications reach the user stream (Mastodon: only with read:notifications).
        self.notified = viewer is not None and admits(viewer, Door.MASTODON, "read:notifications")
        self.sse = sse
        self.streams: set[Stream] = set()

    @property
    def account_id(self) -> int | None:
        return self.viewer.account_id if self.viewer is not None else None

    def send(self, stream: Stream, event: str, payload: str) -> None:
        if self.sse:
            self.conn.push(f"event: {event}\ndata: {payload}\n\n")
        else:
            self.conn.push(_json({"stream": stream.label, "event": event, "payload": payload}))
        metrics.events_delivered.inc()


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
POST_EVENTS = {
    POST_NEW.name: "update",
    POST_UPDATED.name: "status.update",
    POST_DELETED.name: "delete",
}
PUBLIC_CHANGES = {"new": "update", "updated": "status.update", "deleted": "delete"}

Route = tuple[str, int | str | None]


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
        services.on_stopping(self.close_all)

    def close_all(self) -> None:
        """End every stream (the server is stopping): an event stream ends its response, which
        the server waits for; a WebSocket is closed with 1001, going away."""
        for sub in list(self.subscribers):
            sub.conn.close(CLOSE_GOING_AWAY, "server stopping")

    # Who reads what

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)

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
        if event.type == POST_PUBLIC.name:
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
        if event.type == NOTIFICATION_NEW.name and event.payload.get("kind") in KINDS:
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
        open_targets = (sub for sub, _ in delivery.targets if not sub.conn.closed)
        viewers = {_account_of(v): v for v in (delivery.viewer(sub) for sub in open_targets)}
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
