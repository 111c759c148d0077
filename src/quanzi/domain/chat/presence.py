"""Ephemeral signals: typing and online presence. They travel on the bus only and are never
stored in the database, and they honour the account's "show presence" privacy setting: only
mutual friends with no block between them learn that someone is online, and nobody learns it
of someone who hides it.

Presence across processes: each process counts its own sockets per account. When an account's
first socket here opens, this process records itself in a Redis hash for the account (renewed
every PRESENCE_REFRESH seconds, expiring after PRESENCE_TTL); when its last one closes here, it
removes itself, and the account is offline only once no process holds it. Embedded, the local
count is the whole truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import select

from quanzi.db.models import Contact
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.queries import access_conversation, active_member_ids
from quanzi.domain.chat.shapes import TYPING
from quanzi.domain.relations import blocked_among, friends_among
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.obs.logging import get_logger
from quanzi.realtime.events import Event

if TYPE_CHECKING:
    from quanzi.config import Settings
    from quanzi.realtime.bus import Bus

Reader = Callable[[], AbstractAsyncContextManager[Tx]]  # opens a read transaction

PRESENCE = "presence"
PRESENCE_TTL = 90
PRESENCE_REFRESH = 30
log = get_logger("quanzi.presence")


async def announce_typing(read: Reader, bus: Bus, viewer: Principal, conversation_id: int) -> None:
    """Tell the other active members that `viewer` is typing (if they show their presence)."""
    async with read() as tx:
        try:
            conv, me = await access_conversation(tx, viewer, conversation_id)
        except NotFound:
            return
        if me.state != "active" or conv.status != "active":
            return
        row = await load_account_row(tx, viewer.account_id)
        if row is None or not row.show_presence:
            return
        others = [a for a in await active_member_ids(tx, conv.id) if a != viewer.account_id]
    payload = {"conversation_id": str(conversation_id), "account_id": str(viewer.account_id)}
    await bus.publish([Event(TYPING, payload, tuple(others))])


class Presence:
    """Who is online: `read` opens a read transaction (`Services.read`), `bus` carries the
    signals to friends."""

    def __init__(self, read: Reader, bus: Bus, settings: Settings) -> None:
        self._read = read
        self._bus = bus
        self._local: dict[int, int] = {}
        self._origin = uuid.uuid4().hex[:12]
        url = settings.redis_url
        self._redis: aioredis.Redis | None = aioredis.Redis.from_url(url) if url else None
        self._prefix = f"{settings.redis_prefix}:presence:"
        self._refresher: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._redis is not None:
            self._refresher = asyncio.create_task(self._refresh_forever(), name="quanzi-presence")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                if self._local:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for account_id in self._local:
                            pipe.hdel(self._prefix + str(account_id), self._origin)
                        await pipe.execute()
            await self._redis.aclose()

    async def connected(self, account_id: int) -> None:
        count = self._local.get(account_id, 0) + 1
        self._local[account_id] = count
        if count > 1:
            return
        was_online = await self._elsewhere(account_id)
        await self._record(account_id, present=True)
        if not was_online:
            await self._tell_friends(account_id, online=True)

    async def disconnected(self, account_id: int) -> None:
        count = self._local.get(account_id, 0) - 1
        if count > 0:
            self._local[account_id] = count
            return
        self._local.pop(account_id, None)
        await self._record(account_id, present=False)
        if not await self._elsewhere(account_id):
            await self._tell_friends(account_id, online=False)

    async def online_among(self, account_ids: list[int]) -> set[int]:
        """Which of these accounts have a live socket on any process."""
        found = {a for a in account_ids if a in self._local}
        if self._redis is None:
            return found
        rest = [a for a in account_ids if a not in found]
        for account_id in rest:
            if await self._elsewhere(account_id):
                found.add(account_id)
        return found

    async def _elsewhere(self, account_id: int) -> bool:
        if self._redis is None:
            return False
        try:
            marks = await self._redis.hgetall(self._prefix + str(account_id))
        except (RedisError, OSError):
            return False
        fresh = time.time() - PRESENCE_TTL
        return any(
            (k.decode() if isinstance(k, bytes) else k) != self._origin and float(v) > fresh
            for k, v in marks.items()
        )

    async def _record(self, account_id: int, *, present: bool) -> None:
        if self._redis is None:
            return
        key = self._prefix + str(account_id)
        try:
            if present:
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.hset(key, self._origin, str(time.time()))
                    pipe.expire(key, PRESENCE_TTL)
                    await pipe.execute()
            else:
                await self._redis.hdel(key, self._origin)
        except (RedisError, OSError):
            log.warning("presence not recorded", exc_info=True)

    async def _refresh_forever(self) -> None:
        assert self._redis is not None
        while True:
            await asyncio.sleep(PRESENCE_REFRESH)
            accounts, now = list(self._local), str(time.time())
            try:
                for start in range(0, len(accounts), 1000):
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for account_id in accounts[start : start + 1000]:
                            key = self._prefix + str(account_id)
                            pipe.hset(key, self._origin, now)
                            pipe.expire(key, PRESENCE_TTL)
                        await pipe.execute()
            except (RedisError, OSError):
                log.warning("presence not refreshed", exc_info=True)

    async def _tell_friends(self, account_id: int, *, online: bool) -> None:
        async with self._read() as tx:
            row = await load_account_row(tx, account_id)
            if row is None or not row.show_presence:
                return
            theirs = select(Contact.owner_id).where(Contact.friend_id == account_id)
            candidates = list((await tx.session.execute(theirs)).scalars())
            friends = await friends_among(tx, account_id, candidates)
            friends -= await blocked_among(tx, account_id, friends)
        if friends:
            payload = {"account_id": str(account_id), "online": online}
            await self._bus.publish([Event(PRESENCE, payload, tuple(friends))])


async def presence_of(
    read: Reader, presence: Presence, viewer: Principal, account_ids: list[int]
) -> dict[int, bool]:
    """Online or not, for those of `account_ids` who are my mutual friends (no block between
    us) and show it."""
    async with read() as tx:
        friends = await friends_among(tx, viewer.account_id, account_ids)
        friends -= await blocked_among(tx, viewer.account_id, friends)
        shown = []
        for account_id in friends:
            row = await load_account_row(tx, account_id)
            if row is not None and row.show_presence:
                shown.append(account_id)
    online = await presence.online_among(shown)
    return {a: a in online for a in shown}
