"""Who has a live socket, across processes: the mechanism under presence (the rule of who may
see whose presence is the domain's, domain/chat/presence.py).

Each process counts its own sockets per account. When an account's first socket here opens,
this process records itself in a Redis hash for the account (renewed every PRESENCE_REFRESH
seconds, expiring after PRESENCE_TTL); when its last one closes here, it removes itself, and
the account is offline only once no process holds it. Embedded (no Redis), the local count is
the whole truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from quanzi.obs.logging import get_logger

PRESENCE_TTL = 90
PRESENCE_REFRESH = 30
log = get_logger("quanzi.presence")


class Online:
    """Which accounts have a socket open on some process."""

    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self._local: dict[int, int] = {}
        self._origin = uuid.uuid4().hex[:12]
        self._redis = aioredis.Redis.from_url(redis_url) if redis_url else None
        self._prefix = f"{prefix}:presence:"
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

    async def connected(self, account_id: int) -> bool:
        """A socket of the account opened here; True if the account was offline everywhere."""
        count = self._local.get(account_id, 0) + 1
        self._local[account_id] = count
        if count > 1:
            return False
        was_online = await self._elsewhere(account_id)
        await self._record(account_id, present=True)
        return not was_online

    async def disconnected(self, account_id: int) -> bool:
        """A socket of the account closed here; True if the account is now offline everywhere."""
        count = self._local.get(account_id, 0) - 1
        if count > 0:
            self._local[account_id] = count
            return False
        self._local.pop(account_id, None)
        await self._record(account_id, present=False)
        return not await self._elsewhere(account_id)

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
