"""What the domain records and the bus carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, for the live devices of `users`.

    Events whose type starts with "internal." are for the server processes themselves (drop a
    cached session, close a revoked device's sockets) and never reach a client.
    """

    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    users: tuple[int, ...] = ()

    @property
    def internal(self) -> bool:
        return self.type.startswith("internal.")


# Internal event types
SESSIONS_REVOKED = "internal.sessions_revoked"  # payload: Revoked.payload()
BUS_GAP = "internal.bus_gap"  # this process may have missed events (bus reconnected)
ACCOUNTS_CHANGED = "internal.accounts_changed"  # payload: ids whose cached rows are stale
POSTS_COUNTED = "internal.posts_counted"  # payload: id, post_count (its new value)

# Told to native clients by the gateway itself when this process may have missed events
STREAM_RESYNC = "stream.resync"


@dataclass(frozen=True, slots=True)
class Revoked:
    """Sessions that ended (logged out, revoked, account disabled, suspended or deleted): the
    payload of SESSIONS_REVOKED, and a row of the `revocations` table (`id` is the row's)."""

    id: int  # time-sortable (kit/ids), made when the sessions ended
    account_id: int
    # None: every session of the account made before the revocation (session ids are
    # time-sortable too), so that one made later, after the account is active again, is not
    session_ids: frozenset[int] | None

    def covers(self, account_id: int, session_id: int) -> bool:
        if account_id != self.account_id:
            return False
        return session_id < self.id if self.session_ids is None else session_id in self.session_ids

    def payload(self) -> dict[str, Any]:
        ids = None if self.session_ids is None else sorted(self.session_ids)
        return {"id": self.id, "account_id": self.account_id, "session_ids": ids}

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Revoked:
        ids = payload.get("session_ids")
        return cls(
            int(payload["id"]),
            int(payload["account_id"]),
            None if ids is None else frozenset(int(i) for i in ids),
        )
