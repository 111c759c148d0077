"""One connection type for every socket door: the native stream (the apps and the web pages'
live updates), Mastodon's streaming WebSocket and its server-sent event streams.

A `Connection` is one client's socket as the server sees it: whose it is (account and session,
or nobody for an anonymous Mastodon stream), a bounded queue of text frames, and a `Sink` that
writes them (a WebSocket message, or a chunk of an event-stream response). Frames are pushed
synchronously (by bus handlers, the Mastodon hub, frame handlers) and written by a writer task
that exists only while the queue is not empty, so an idle socket costs no task.

The rules are the same for every door:

- *Slow consumer*: a client whose queue is full when a frame comes is closed with 1013 (try
  again later). The server's memory stays bounded and the client catches up when it
  reconnects; the other clients are not held up.
- *Revocation*: the gateway (realtime/gateway.py) knows every connection of a person on this
  process, whatever its door, and closes those of ended sessions with 4001.
- *Closing* stops delivery at once (nothing more is queued or taken from the socket) and sends
  the close without waiting long: a client that does not read may never take it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from quanzi.obs import metrics

# Close codes (documented in docs/api.md and docs/mastodon.md)
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # the server is stopping (Mastodon's streams)
CLOSE_SERVICE_RESTART = 1012  # the server is restarting (the native stream)
CLOSE_TRY_AGAIN_LATER = 1013  # the client did not keep up with its events
CLOSE_SESSION_REVOKED = 4001  # logged out, session revoked, or account disabled

CLOSE_WAIT = 2.0  # seconds given to the close frame (or the end of an event stream)


class Sink(Protocol):
    """How a door writes to its client."""

    async def write(self, text: str) -> None: ...

    async def end(self, code: int, reason: str) -> None: ...


class WebSocketSink:
    """Frames as WebSocket text messages, through the ASGI `send`."""

    __slots__ = ("_send",)

    def __init__(self, send: Callable[[Any], Any]) -> None:
        self._send = send

    async def write(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def end(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


class Connection:
    __slots__ = (
        "_ended",
        "_finished",
        "_queue",
        "_sink",
        "_writer",
        "account_id",
        "close_code",
        "closed",
        "limit",
        "on_close",
        "scratch",
        "session_id",
        "written",
    )

    def __init__(
        self,
        sink: Sink,
        account_id: int | None,
        session_id: int | None,
        *,
        limit: int,
        on_close: Callable[[Connection], None] | None = None,
    ) -> None:
        self._sink = sink
        self.account_id = account_id
        self.session_id = session_id
        self.limit = limit
        self.on_close = on_close  # the gateway's: forget this connection
        self._queue: deque[str] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.closed = False
        self.close_code = CLOSE_NORMAL
        self._finished = False  # closed, and the close sent (or given up)
        self._ended: asyncio.Event | None = None  # made only for who waits for it
        self.scratch: dict[str, Any] | None = None  # per-socket state of frame handlers
        self.written = 0  # frames written so far

    @property
    def ended(self) -> asyncio.Event:
        """Set once the connection is closed and its close was sent (or given up on)."""
        if self._ended is None:
            self._ended = asyncio.Event()
            if self._finished:
                self._ended.set()
        return self._ended

    def _finish(self) -> None:
        self._finished = True
        if self._ended is not None:
            self._ended.set()

    def push(self, text: str) -> None:
        """Queue a frame; a client whose queue is full is closed (the slow-consumer rule)."""
        if self.closed:
            return
        if len(self._queue) >= self.limit:
            metrics.ws_dropped.labels("slow_consumer").inc()
            self.close(CLOSE_TRY_AGAIN_LATER, "too slow: reconnect and catch up")
            return
        self._queue.append(text)
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._queue and not self.closed:
                await self._sink.write(self._queue.popleft())
                self.written += 1
        except Exception:  # the peer went away mid-send; the reader sees it too
            self.gone()
        finally:
            self._writer = None

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Stop delivering and close the socket with `code`; safe to call more than once."""
        if self.closed:
            return
        self._stop(code)
        task = asyncio.create_task(self._close(code, reason))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    def gone(self) -> None:
        """The client went away (or the socket broke): deliver nothing more."""
        if self.closed:
            return
        self._stop(CLOSE_NORMAL)
        self._finish()

    def _stop(self, code: int) -> None:
        self.closed, self.close_code = True, code
        self._queue.clear()
        if self.on_close is not None:
            self.on_close(self)

    async def _close(self, code: int, reason: str) -> None:
        if self._writer is not None:
            self._writer.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._sink.end(code, reason), timeout=CLOSE_WAIT)
        self._finish()


_closing: set[asyncio.Task[None]] = set()  # closes under way, held until they are done
