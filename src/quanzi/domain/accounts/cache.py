"""A per-process cache of account rows, for the reads that render accounts (every profile,
every "me", every sender of a message).

Entries are immutable snapshots (`AccountRow`), never the ORM objects that actions change.
Whoever writes an account column that a view shows calls `note_accounts_changed`, which
records an internal event: after the commit it drops the entries here at once and, through
Redis, in every other process. When this process may have missed such events (its Redis
subscription was lost and came back: BUS_GAP), the whole cache is dropped. Entries also expire
after TTL_SECONDS, which bounds what a message lost otherwise (a failed publish) could cost.
The expiry is long enough for timelines to find the authors they show here: with 10 s, a home
timeline on a world of 10,000 active accounts read most of its authors from the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from quanzi.db.engine import Database
from quanzi.db.models import Account
from quanzi.domain.tx import Tx
from quanzi.kit.singleflight import SingleFlight
from quanzi.realtime.events import ACCOUNTS_CHANGED, BUS_GAP, POSTS_COUNTED, Event

TTL_SECONDS = 60.0
MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    number: int
    handle: str
    email: str | None
    display_name: str
    bio: str
    region: str
    gender: str | None
    avatar_id: int | None
    find_by_number: bool
    find_by_handle: bool
    find_in_search: bool
    add_needs_verification: bool
    allow_strangers: bool
    locked: bool
    show_presence: bool
    moments_window: str
    followers_count: int
    following_count: int
    post_count: int
    role: str
    status: str
    created_at: datetime
    updated_at: datetime
    # What shapes made of this snapshot, made once per row (shapes.AccountPublic.of): a page
    # names the same people again and again, and so do the pages after it.
    shown: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, account: Account) -> AccountRow:
        return cls(**{name: getattr(account, name) for name in _FIELDS})


_FIELDS = tuple(f.name for f in fields(AccountRow) if f.compare)  # the account's columns

# The AccountRows of the accounts among "ids", in field order (`AccountRow(*row)`): the read
# behind every page that shows people, built once.
ROWS_AMONG = select(*(getattr(Account, name) for name in _FIELDS)).where(
    Account.id.in_(bindparam("ids", expanding=True))
)


class AccountCache:
    @classmethod
    def of(cls, tx: Tx) -> AccountCache:
        """This process's cache, as the transaction's shared parts hold it."""
        return tx.shared[cls]

    def __init__(self, db: Database, ttl: float = TTL_SECONDS) -> None:
        self._db = db
        self._ttl = ttl
        self._rows: dict[int, tuple[AccountRow, float]] = {}
        self._loading: SingleFlight[int, AccountRow | None] = SingleFlight()

    async def load(self, account_id: int) -> AccountRow | None:
        """The row, from the cache or read once however many callers ask at the same time."""
        row = self.get(account_id)
        if row is None:
            row = await self._loading.run(account_id, lambda: self._read(account_id))
        return row

    async def _read(self, account_id: int) -> AccountRow | None:
        async with self._db.read_session() as session:
            account = await session.get(Account, account_id)
        if account is None:
            return None
        row = AccountRow.of(account)
        self.put(row)
        return row

    def get(self, account_id: int) -> AccountRow | None:
        entry = self._rows.get(account_id)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, row: AccountRow) -> None:
        if len(self._rows) >= MAX_ENTRIES:
            self._rows.pop(next(iter(self._rows)))
        self._rows[row.id] = (row, time.monotonic() + self._ttl)

    def handle(self, event: Event) -> None:
        """Bus handler: forget accounts that changed (in this process or another)."""
        if event.type == ACCOUNTS_CHANGED:
            for account_id in event.payload.get("ids", ()):
                self._rows.pop(int(account_id), None)
        elif event.type == POSTS_COUNTED:
            entry = self._rows.get(int(event.payload["id"]))
            if entry is not None:
                count = int(event.payload["post_count"])
                fresh = replace(entry[0], post_count=count, shown={})  # not the old views
                self._rows[fresh.id] = (fresh, entry[1])
        elif event.type == BUS_GAP:
            self.clear()

    def clear(self) -> None:
        self._rows.clear()


def note_post_count(tx: Tx, account_id: int, post_count: int) -> None:
    """Call after changing an account's post count: cached rows take the new value (a value,
    not a change, so events that cross or repeat leave the right count)."""
    tx.emit(Event(POSTS_COUNTED, {"id": str(account_id), "post_count": post_count}))


def note_accounts_changed(tx: Tx, *account_ids: int) -> None:
    """Call after changing account columns that views show (profile, counts, status)."""
    tx.emit(Event(ACCOUNTS_CHANGED, {"ids": [str(i) for i in account_ids]}))
