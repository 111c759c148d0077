"""The event bus: how an event committed in one process reaches every process.

`MemoryBus` serves one process. `RedisBus` adds Redis pub/sub so that several processes serve
the same users: each event is handed to this process's subscribers at once and published on one
Redis channel; every other process receives it and hands it to its own subscribers. Every
process sees every event and keeps only what its own sockets need, which is the cheapest routing
for a handful of processes (docs/scaling.md says what to change beyond that).

The bus is at-most-once: durable state is in the database and clients catch up from it. When a
process may have missed events (Redis reconnected), subscribers get a BUS_GAP event so live
clients can be told to catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from quanzi.obs import metrics
from quanzi.obs.logging import get_logger
from quanzi.realtime.events import BUS_GAP, Event

Handler = Callable[[Event], None]
log = get_logger("quanzi.bus")


class Bus:
    """In-process bus; the base of every bus."""

    name = "memory"

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        """Handlers run in the event loop, synchronously, for every event: keep them fast."""
        self._handlers.append(handler)

    def _dispatch(self, event: Event) -> None:
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("bus handler failed", event_type=event.type)

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self._dispatch(event)
        metrics.bus_published.inc(len(events))

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def ping(self) -> None:
        pass


class MemoryBus(Bus):
    pass


class RedisBus(Bus):
    name = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        self.channel = f"{prefix}:events"
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # named, so that `CLIENT LIST` in Redis tells which process a connection belongs to
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, client_name=f"{prefix}:bus:{self.origin}"
        )
        self._listener: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()  # subscribed, or failed once: start() waits for this

    async def publish(self, events: Sequence[Event]) -> None:
        await super().publish(events)
        now = time.time()
        frames = [
            orjson.dumps({"o": self.origin, "ts": now, "t": e.type, "p": e.payload, "u": e.users})
            for e in events
        ]
        try:
            if len(frames) == 1:
                await self._redis.publish(self.channel, frames[0])
            else:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for frame in frames:
                        pipe.publish(self.channel, frame)
                    await pipe.execute()
        except RedisError:
            metrics.bus_errors.labels("publish").inc()
            log.warning("bus publish failed; clients will catch up", exc_info=True)

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="quanzi-bus-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout=5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def ping(self) -> None:
        await self._redis.ping()

    async def _listen(self) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._settled.set()
                if not first:
                    log.info("bus reconnected")
                    self._dispatch(Event(BUS_GAP))
                first, delay = False, 0.1
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is not None:
                        self._receive(message["data"])
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except (RedisError, OSError):
                metrics.bus_errors.labels("subscribe").inc()
                log.warning("bus subscription lost; reconnecting", retry_in=delay)
                self._settled.set()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                first = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _receive(self, data: Any) -> None:
        try:
            frame = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if frame.get("o") == self.origin:
            return  # already dispatched locally when published
        metrics.bus_lag.observe(max(0.0, time.time() - frame.get("ts", time.time())))
        self._dispatch(Event(frame["t"], frame.get("p") or {}, tuple(frame.get("u") or ())))


def make_bus(redis_url: str | None, prefix: str) -> Bus:
    return RedisBus(redis_url, prefix) if redis_url else MemoryBus()
