"""Bearer tokens and who is calling.

A token is 256 random bits; only its SHA-256 is stored. Every door asks `Authenticator` for the
Principal behind a token (and `doors.admit` whether that kind of token may come in). Hot tokens
are cached in memory for a few seconds (QUANZI_SESSION_CACHE_SECONDS); a revoked session is
dropped from every process's cache within a second or two (revocations.py). "Last used" is
written at most once a minute per session, in batches, not once per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from quanzi.db.engine import Database
from quanzi.db.models import Account, AuthSession
from quanzi.kit.periodic import Periodic
from quanzi.kit.singleflight import SingleFlight
from quanzi.realtime.events import Revoked

TOKEN_PREFIX = "qz_"  # noqa: S105 (a marker, not a secret)
TOUCH_EVERY = 60.0  # seconds between "last used" writes for one session
# Sessions whose "last used" one write transaction updates: a busy server touches thousands in
# a flush, and one statement for all of them held the event loop (and the writer) for tens of
# milliseconds; requests run between batches.
FLUSH_BATCH = 200
CACHE_MAX = 100_000


def new_token() -> tuple[str, bytes]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The account and session behind a request."""

    account_id: int
    session_id: int
    role: str
    # What a token given to a client app through OAuth may do (see `may`); None for a native
    # or web session, which may do everything.
    scopes: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, scope: str) -> bool:
        return self.scopes is None or scope_granted(scope, self.scopes)


# Mastodon's scopes: a top-level scope grants its sub-scopes ("read" grants "read:statuses");
# "follow" is an older name for managing follows and blocks; "profile" only lets an app learn
# who the person is, which "read" and "read:accounts" also do.
FOLLOW_SCOPES = frozenset(
    {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}
)


def scope_granted(wanted: str, granted: frozenset[str]) -> bool:
    if wanted in granted or wanted.split(":", 1)[0] in granted:
        return True
    if wanted in FOLLOW_SCOPES and "follow" in granted:
        return True
    return wanted == "profile" and bool(granted & {"read", "read:accounts"})


# The session of a Principal that the server makes for itself (demo data), bound to no token.
NO_SESSION = 0


async def ended_sessions(conn: AsyncConnection, session_ids: set[int]) -> set[int]:
    """Which of these sessions have ended (revoked, or their account is no longer active):
    for a write that must not be taken from a session that ended after it was authenticated
    (the token cache, an open socket). One indexed read."""
    wanted = session_ids - {NO_SESSION}
    if not wanted:
        return set()
    live = await conn.execute(_LIVE_SESSIONS, {"ids": sorted(wanted)})
    return wanted - {row[0] for row in live}


_LIVE_SESSIONS = (
    select(AuthSession.id)
    .join(Account, Account.id == AuthSession.account_id)
    .where(AuthSession.id.in_(bindparam("ids", expanding=True)), Account.status == "active")
)

# The live session of a token (by the digest of the token), built once: read by every request
# whose token is not in the cache.
_SESSION_BY_DIGEST = (
    select(AuthSession.id, AuthSession.account_id, Account.role, AuthSession.scopes)
    .join(Account, Account.id == AuthSession.account_id)
    .where(AuthSession.token_hash == bindparam("digest"), Account.status == "active")
)


class Authenticator:
    def __init__(self, db: Database, cache_seconds: float) -> None:
        self._db = db
        self._ttl = cache_seconds
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._loading: SingleFlight[bytes, Principal | None] = SingleFlight()
        self._touched: dict[int, float] = {}  # session id -> monotonic time of the last touch
        self._pending: set[int] = set()
        self._forgotten = 0  # revocations applied so far (see _load)
        self._flusher = Periodic(
            "quanzi-session-touch", self.flush, 15, failed="could not record session use"
        )

    async def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            principal = cached[0]
        else:
            while True:
                forgotten = self._forgotten
                loaded = await self._loading.run(digest, lambda: self._load(digest))
                if self._forgotten == forgotten:
                    break  # else sessions ended meanwhile: what was read may be from before
            if loaded is None:
                self._cache.pop(digest, None)
                return None
            principal = loaded
            if self._ttl > 0:
                if len(self._cache) >= CACHE_MAX:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[digest] = (principal, now + self._ttl)
        if now - self._touched.get(principal.session_id, -TOUCH_EVERY) >= TOUCH_EVERY:
            self._touched[principal.session_id] = now
            self._pending.add(principal.session_id)
        return principal

    async def _load(self, digest: bytes) -> Principal | None:
        while True:
            forgotten = self._forgotten
            async with self._db.read_session() as session:
                conn = await session.connection()
                row = (await conn.execute(_SESSION_BY_DIGEST, {"digest": digest})).first()
            if self._forgotten == forgotten:
                break  # else sessions ended while this read ran: it may be from before
        if row is None:
            return None
        scopes = frozenset(row.scopes.split()) if row.scopes is not None else None
        return Principal(row.account_id, row.id, row.role, scopes)

    def forget(self, revoked: Revoked) -> None:
        """Forget the tokens of sessions that ended (a listener of `Revocations`)."""
        self._forgotten += 1
        for digest, (principal, _) in list(self._cache.items()):
            if revoked.covers(principal.account_id, principal.session_id):
                del self._cache[digest]

    # "Last used" bookkeeping

    def start(self) -> None:
        self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()
        await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        ids, self._pending = sorted(self._pending), set()
        now = datetime.now(UTC)
        for start in range(0, len(ids), FLUSH_BATCH):
            if start:
                await asyncio.sleep(0)
            async with self._db.write_session() as session:
                await session.execute(_TOUCH, {"ids": ids[start : start + FLUSH_BATCH], "at": now})
                await session.commit()
        if len(self._touched) > CACHE_MAX:
            self._touched.clear()


_TOUCH = (
    update(AuthSession)
    .where(AuthSession.id.in_(bindparam("ids", expanding=True)))
    .values(last_used_at=bindparam("at"))
)
