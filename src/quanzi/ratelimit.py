"""Rate limits: in memory for one process, in Redis when configured so limits hold across
processes. A thin wrapper over the `limits` library (moving windows)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from quanzi.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Allowance:
    limit: int
    remaining: int
    reset_at: float  # Unix time

    def headers(self) -> dict[str, str]:
        reset = datetime.fromtimestamp(self.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset,
        }


class RateLimiter:
    def __init__(self, redis_url: str | None = None, prefix: str = "quanzi") -> None:
        self.storage: Storage
        if redis_url:
            self.storage = RedisStorage(
                f"async+{redis_url}", implementation="redispy", key_prefix=f"{prefix}:limits"
            )
        else:
            self.storage = MemoryStorage()
        self._strategy = MovingWindowRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, rate: str) -> RateLimitItem:
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = parse(rate)
        return item

    async def _refuse(self, item: RateLimitItem, keys: tuple[str, ...]) -> RateLimited:
        stats = await self._strategy.get_window_stats(item, *keys)
        return RateLimited(math.ceil(stats.reset_time - time.time()))

    async def hit(self, rate: str, *keys: str) -> None:
        """Count one attempt; raise RateLimited when the allowance is spent."""
        item = self._item(rate)
        if not await self._strategy.hit(item, *keys):
            raise await self._refuse(item, keys)

    async def check(self, rate: str, *keys: str) -> None:
        """Raise RateLimited if the allowance is spent, without counting an attempt."""
        item = self._item(rate)
        if not await self._strategy.test(item, *keys):
            raise await self._refuse(item, keys)

    async def take(self, rate: str, *keys: str) -> Allowance:
        """Count one request against a fixed window (cheap enough for every request) and say
        what is left of it, for the X-RateLimit-* headers; raise RateLimited when spent."""
        item = self._item(rate)
        allowed = await self._fixed.hit(item, *keys)
        stats = await self._fixed.get_window_stats(item, *keys)
        allowance = Allowance(item.amount, stats.remaining, stats.reset_time)
        if not allowed:
            raise RateLimited(
                math.ceil(stats.reset_time - time.time()), headers=allowance.headers()
            )
        return allowance

    async def reset(self) -> None:
        await self.storage.reset()
