"""Ending sessions everywhere: within a second or two of a log out, a revoked session, or an
account disabled, suspended or deleted, every serving process closes the sockets of the
sessions that ended and forgets their cached tokens, with or without Redis.

Sessions end only through `actions.do_revoke_sessions`, which calls `record_revocation` in its
transaction: a `revocations` row, and the SESSIONS_REVOKED event published after the commit.
Two paths then bring it to each process:

- the bus, at once: to this process, and to the others when Redis connects them;
- the table, polled every second by every serving process (`Revocations.poll`: one read of the
  last minute's rows by primary key), for what the bus does not carry: a `quanzi user disable`
  run as a process of its own beside the server (the embedded default has no Redis), or an
  event lost with a Redis connection.

Both call `Revocations.apply`, which handles each revocation once (by its id) and hands it to
the listeners: the authenticator's cache and the gateway, which closes the sockets and event
streams of every door (realtime/gateway.py). A socket registers after it was authenticated, so
the gateway also asks `Revocations.ends` as it registers it: a revocation applied in between
is not missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select

from quanzi.db.engine import Database
from quanzi.db.models import Revocation
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.tx import Tx
from quanzi.kit.ids import id_at, new_id
from quanzi.kit.periodic import Periodic
from quanzi.obs.logging import get_logger
from quanzi.realtime.events import SESSIONS_REVOKED, Event, Revoked

log = get_logger("quanzi.revocations")

POLL_SECONDS = 1.0
# How far back each poll reads. A row's id is taken before its transaction commits, so a poll
# reads again what it read before rather than miss a row that committed late; this also
# covers clocks of the processes that differ by less than this.
LOOKBACK = timedelta(seconds=60)
KEEP = timedelta(minutes=10)  # rows older than this are deleted
PRUNE_SECONDS = 300.0

Listener = Callable[[Revoked], None]

_INSERT = insert(Revocation)
_SINCE = (
    select(Revocation.id, Revocation.account_id, Revocation.session_ids)
    .where(Revocation.id >= bindparam("floor"))
    .order_by(Revocation.id)
)
_PRUNE = delete(Revocation).where(Revocation.id < bindparam("floor"))


async def record_revocation(tx: Tx, account_id: int, session_ids: list[int] | None) -> None:
    """Sessions of an account ended in this transaction (None: every session made before
    now, including one a concurrent log in is opening: the account stopped being active)."""
    revoked = Revoked(new_id(), account_id, None if session_ids is None else frozenset(session_ids))
    stored = None if session_ids is None else " ".join(str(s) for s in sorted(session_ids))
    conn = await tx.connection()
    await conn.execute(_INSERT, {"id": revoked.id, "account_id": account_id, "session_ids": stored})
    tx.emit(Event(SESSIONS_REVOKED, revoked.payload()))


class Revocations:
    """This process's side: applies each revocation once, whichever path brings it, and
    remembers the last minute's for `ended`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: list[Listener] = []
        # Revocations applied, by account, kept while a poll may read them again.
        self._recent: dict[int, dict[int, Revoked]] = {}
        self._since: datetime | None = None  # when the last poll that succeeded started
        self._pruned = time.monotonic()
        self._poller = Periodic(
            "quanzi-revocations", self.poll, POLL_SECONDS, failed="could not read revocations"
        )

    def listen(self, listener: Listener) -> None:
        """Call `listener` (synchronously, on the event loop) for each new revocation."""
        self._listeners.append(listener)

    def handle(self, event: Event) -> None:
        """Bus handler: the instant path."""
        if event.type == SESSIONS_REVOKED:
            self.apply(Revoked.of(event.payload))

    def apply(self, revoked: Revoked) -> None:
        mine = self._recent.setdefault(revoked.account_id, {})
        if revoked.id in mine:
            return
        mine[revoked.id] = revoked
        for listener in self._listeners:
            try:
                listener(revoked)
            except Exception:
                log.exception("revocation listener failed", account_id=revoked.account_id)

    def ended(self, principal: Principal) -> bool:
        """Whether a revocation this process applied covers the principal's session: for a
        socket authenticated just before a revocation and registered just after it, which the
        listeners could not see. Ask right after registering, with no await in between."""
        return self.ends(principal.account_id, principal.session_id)

    def ends(self, account_id: int, session_id: int) -> bool:
        """`ended`, by ids: what the gateway asks of every connection it registers."""
        recent = self._recent.get(account_id)
        return recent is not None and any(r.covers(account_id, session_id) for r in recent.values())

    async def start(self) -> None:
        """Read the last minute's revocations (for `ended`), then poll every second."""
        try:
            await self.poll()
        except Exception:
            log.warning("could not read revocations", exc_info=True)
        self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()

    async def poll(self) -> None:
        started = datetime.now(UTC)
        # From the last poll that succeeded, so that a database out of reach for a while
        # loses nothing.
        floor = id_at((self._since or started) - LOOKBACK)
        async with self._db.read_session() as session:
            conn = await session.connection()
            rows = (await conn.execute(_SINCE, {"floor": floor})).all()
        self._since = started
        for row in rows:
            ids = None if row.session_ids is None else frozenset(map(int, row.session_ids.split()))
            self.apply(Revoked(row.id, row.account_id, ids))
        for account_id, recent in list(self._recent.items()):
            for old in [i for i in recent if i < floor]:
                del recent[old]
            if not recent:
                del self._recent[account_id]
        if time.monotonic() - self._pruned >= PRUNE_SECONDS:
            self._pruned = time.monotonic()
            async with self._db.write_session() as session:
                await session.execute(_PRUNE, {"floor": id_at(started - KEEP)})
                await session.commit()
