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
SESSIONS_REVOKED = "internal.sessions_revoked"  # payload: account_id, session_ids (None: all)
BUS_GAP = "internal.bus_gap"  # this process may have missed events (bus reconnected)
ACCOUNTS_CHANGED = "internal.accounts_changed"  # payload: ids whose cached rows are stale
POSTS_COUNTED = "internal.posts_counted"  # payload: id, post_count (its new value)
