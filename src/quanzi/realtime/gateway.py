"""The gateway: every socket of this process, whatever its door, by the person it belongs to.

Every door registers its connections here (realtime/connection.py): the native stream, and
Mastodon's streaming WebSocket and event streams of a person. That gives one revocation path
(`revoke` closes the connections of ended sessions, all doors alike, with 4001) and one
register-then-check against a revocation that came while a socket was being opened. The native
stream's connections also get the account's events from the bus (`handle`): a frame is encoded
once per event and pushed onto each connection's bounded queue; the Mastodon door has its own
subscriptions (api/mastodon/hub.py), over the same connections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from quanzi.obs import metrics
from quanzi.realtime.connection import (
    CLOSE_SERVICE_RESTART,
    CLOSE_SESSION_REVOKED,
    Connection,
    Sink,
    WebSocketSink,
)
from quanzi.realtime.events import BUS_GAP, STREAM_RESYNC, Event, Revoked

SendFn = Callable[[dict[str, Any]], Any]
Ended = Callable[[int, int], bool]  # (account id, session id) -> did that session end?


def frame(type_: str, payload: dict[str, Any] | None = None) -> str:
    """A native stream frame: {"type": ..., "payload": {...}}."""
    return orjson.dumps({"type": type_, "payload": payload or {}}).decode()


class Gateway:
    def __init__(self, queue_limit: int, ended: Ended | None = None) -> None:
        self.queue_limit = queue_limit
        self._ended = ended
        self._by_account: dict[int, set[Connection]] = {}  # every door's, for revocation
        self._native: dict[int, set[Connection]] = {}  # the native stream's, for events

    @property
    def count(self) -> int:
        return sum(len(conns) for conns in self._by_account.values())

    def connections_of(self, account_id: int) -> set[Connection]:
        return self._by_account.get(account_id, set())

    def connect(
        self, sink: Sink, account_id: int | None, session_id: int | None, *, native: bool
    ) -> Connection:
        """A new connection, registered (when it is a person's) and closed at once if its
        session ended while the socket was being opened. `native`: it gets the account's
        events as native frames."""
        conn = Connection(
            sink, account_id, session_id, limit=self.queue_limit, on_close=self.detach
        )
        if account_id is None or session_id is None:
            return conn
        self._by_account.setdefault(account_id, set()).add(conn)
        if native:
            self._native.setdefault(account_id, set()).add(conn)
        metrics.ws_open.inc()
        if self._ended is not None and self._ended(account_id, session_id):
            self._close_revoked(conn)
        return conn

    def attach(self, send: SendFn, account_id: int, session_id: int) -> Connection:
        """A native stream connection on an ASGI WebSocket."""
        return self.connect(WebSocketSink(send), account_id, session_id, native=True)

    def detach(self, conn: Connection) -> None:
        account_id = conn.account_id
        if account_id is None:
            return
        conns = self._by_account.get(account_id)
        if conns is not None and conn in conns:
            conns.discard(conn)
            metrics.ws_open.dec()
            if not conns:
                del self._by_account[account_id]
        native = self._native.get(account_id)
        if native is not None:
            native.discard(conn)
            if not native:
                del self._native[account_id]

    def handle(self, event: Event) -> None:
        """Bus handler: route one event to the native sockets of this process that get it."""
        if event.internal:
            if event.type == BUS_GAP:
                self.broadcast(frame(STREAM_RESYNC))
            return
        text: str | None = None
        for account_id in event.users:
            conns = self._native.get(account_id)
            if not conns:
                continue
            if text is None:
                text = frame(event.type, event.payload)
            for conn in tuple(conns):
                conn.push(text)
                metrics.events_delivered.inc()

    def broadcast(self, text: str) -> None:
        for conns in tuple(self._native.values()):
            for conn in tuple(conns):
                conn.push(text)

    def revoke(self, revoked: Revoked) -> None:
        """Close the sockets of sessions that ended, every door's (a listener of the process's
        revocations, domain/accounts/revocations.py): no frame is taken from them after this."""
        for conn in tuple(self.connections_of(revoked.account_id)):
            if conn.session_id is not None and revoked.covers(revoked.account_id, conn.session_id):
                self._close_revoked(conn)

    @staticmethod
    def _close_revoked(conn: Connection) -> None:
        metrics.ws_dropped.labels("revoked").inc()
        conn.close(CLOSE_SESSION_REVOKED, "session ended")

    def close_all(
        self, code: int = CLOSE_SERVICE_RESTART, reason: str = "server restarting"
    ) -> None:
        for conns in tuple(self._by_account.values()):
            for conn in tuple(conns):
                conn.close(code, reason)
