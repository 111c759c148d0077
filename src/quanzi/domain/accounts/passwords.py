"""Password hashing with argon2id, off the event loop, a bounded number at a time.

A login for an account that does not exist still verifies a password against a real hash of
the same parameters, so the answer takes the same time as a wrong password for a real account.

Each hash takes tens of milliseconds of CPU and tens of MiB of memory, so hashes run at most
`slots` at a time (one per CPU by default); more only slow every one of them down. Checks of
the current password by a logged-in session (`recheck=True`: changing the password, deleting
the account) take at most `recheck_slots` of those slots, so someone guessing through a
stolen session queues behind their own guesses while log-ins keep the other slots.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(
        self,
        time_cost: int,
        memory_kib: int,
        parallelism: int,
        *,
        slots: int = 0,
        recheck_slots: int = 1,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        slots = slots or _usable_cpus()
        self._slots = asyncio.Semaphore(slots)
        # Log-ins keep at least one slot of their own (when there are two or more).
        self._recheck_slots = asyncio.Semaphore(max(1, min(recheck_slots, slots - 1)))

    @asynccontextmanager
    async def slot(self, *, recheck: bool = False) -> AsyncIterator[None]:
        """Hold a hashing slot (for a re-check, one of the re-checks' share). A rate limit that
        is checked and counted while the slot is held sees every attempt before it: attempts
        sent at once cannot all pass the check before any of them is counted."""
        if recheck:
            async with self._recheck_slots, self._slots:
                yield
        else:
            async with self._slots:
                yield

    async def hash(self, password: str, *, recheck: bool = False) -> str:
        async with self.slot(recheck=recheck):
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(
        self, password_hash: str | None, password: str, *, recheck: bool = False
    ) -> bool:
        """True if `password` matches; with no hash, spend the same time and answer False."""
        async with self.slot(recheck=recheck):
            return await self.verify_in_slot(password_hash, password)

    async def verify_in_slot(self, password_hash: str | None, password: str) -> bool:
        """`verify`, for a caller that holds a slot."""
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            ok = self._hasher.verify(password_hash or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
