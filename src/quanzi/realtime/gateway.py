"""The WebSocket gateway: which sockets of this process belong to whom, and delivery to them.

Each connection has a bounded send queue. Frames are appended by bus handlers (synchronously)
and written by a writer task that exists only while the queue is not empty, so an idle socket
costs no task. A client that stops reading fills its queue and is disconnected (close code
1013): the server's memory stays bounded and the client catches up when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from quanzi.obs import metrics
from quanzi.obs.logging import get_logger
from quanzi.realtime.events import BUS_GAP, Event, Revoked

SendFn = Callable[[dict[str, Any]], Awaitable[None]]
log = get_logger("quanzi.gateway")

# Close codes (documented in docs/api.md)
CLOSE_GOING_AWAY = 1001
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013  # the client did not keep up with its events
CLOSE_SESSION_REVOKED = 4001  # logged out, session revoked, or account disabled


def frame(type_: str, payload: dict[str, Any] | None = None) -> str:
    return orjson.dumps({"type": type_, "payload": payload or {}}).decode()


class Connection:
    __slots__ = (
        "_queue",
        "_send",
        "_writer",
        "account_id",
        "closed",
        "gateway",
        "scratch",
        "session_id",
    )

    def __init__(self, gateway: Gateway, send: SendFn, account_id: int, session_id: int) -> None:
        self.gateway = gateway
        self._send = send
        self.account_id = account_id
        self.session_id = session_id
        self._queue: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.closed = False
        self.scratch: dict[str, Any] | None = None  # per-socket state of frame handlers

    def push(self, text: str) -> None:
        if self.closed:
            return
        if len(self._queue) >= self.gateway.queue_limit:
            metrics.ws_dropped.labels("slow_consumer").inc()
            self.close(CLOSE_TRY_AGAIN_LATER, "too slow: reconnect and catch up")
            return
        self._queue.append(text)
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._queue and not self.closed:
                await self._send({"type": "websocket.send", "text": self._queue.popleft()})
        except Exception:  # the peer went away mid-send; the reader loop will see it too
            self.closed = True
            self._queue.clear()
        finally:
            self._writer = None

    def close(self, code: int, reason: str = "") -> None:
        """Stop delivering and close the socket; safe to call more than once."""
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self.gateway.detach(self)
        task = asyncio.create_task(self._close(code, reason))
        self.gateway.closing.add(task)
        task.add_done_callback(self.gateway.closing.discard)

    async def _close(self, code: int, reason: str) -> None:
        if self._writer is not None:
            self._writer.cancel()
        # A client that is not reading may never let the close frame out; do not wait forever.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": code, "reason": reason}), timeout=2
            )


class Gateway:
    def __init__(self, queue_limit: int) -> None:
        self.queue_limit = queue_limit
        self._by_account: dict[int, set[Connection]] = {}
        self.closing: set[asyncio.Task[None]] = set()

    @property
    def count(self) -> int:
        return sum(len(conns) for conns in self._by_account.values())

    def connections_of(self, account_id: int) -> set[Connection]:
        return self._by_account.get(account_id, set())

    def attach(self, send: SendFn, account_id: int, session_id: int) -> Connection:
        conn = Connection(self, send, account_id, session_id)
        self._by_account.setdefault(account_id, set()).add(conn)
        metrics.ws_open.inc()
        return conn

    def detach(self, conn: Connection) -> None:
        conns = self._by_account.get(conn.account_id)
        if conns is not None and conn in conns:
            conns.discard(conn)
            metrics.ws_open.dec()
            if not conns:
                del self._by_account[conn.account_id]

    def handle(self, event: Event) -> None:
        """Bus handler: route one event to the sockets of this process that should get it."""
        if event.internal:
            self._handle_internal(event)
            return
        text: str | None = None
        for account_id in event.users:
            conns = self._by_account.get(account_id)
            if not conns:
                continue
            if text is None:
                text = frame(event.type, event.payload)
            for conn in tuple(conns):
                conn.push(text)
                metrics.events_delivered.inc()

    def revoke(self, revoked: Revoked) -> None:
        """Close the sockets of sessions that ended (a listener of the process's revocations,
        domain/accounts/revocations.py): no frame is taken from them after this."""
        for conn in tuple(self.connections_of(revoked.account_id)):
            if revoked.covers(conn.account_id, conn.session_id):
                metrics.ws_dropped.labels("revoked").inc()
                conn.close(CLOSE_SESSION_REVOKED, "session ended")

    def _handle_internal(self, event: Event) -> None:
        if event.type == BUS_GAP:
            text = frame("stream.resync")
            for conns in tuple(self._by_account.values()):
                for conn in tuple(conns):
                    conn.push(text)

    def close_all(
        self, code: int = CLOSE_SERVICE_RESTART, reason: str = "server restarting"
    ) -> None:
        for conns in tuple(self._by_account.values()):
            for conn in tuple(conns):
                conn.close(code, reason)
