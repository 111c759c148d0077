"""What the domain records and the bus carries: `Event` (a type's name, a JSON payload, the
accounts it is for), and `EventType`, how a kind of event is defined once with the type of its
payload. The catalogue of the events clients are sent is domain/events.py (their payloads are
the domain's shapes, which realtime/ may not import); the events between server processes
("internal.*") and the one frame the gateway makes itself (`stream.resync`) are here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

P = TypeVar("P", bound=BaseModel)


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


@dataclass(frozen=True, slots=True)
class EventType(Generic[P]):
    """One kind of event: its name on the wire (the `type` of the frame a client gets) and
    the model of its payload. `MESSAGE_NEW(message, users=members)` makes the event;
    `MESSAGE_NEW.name` is what consumers match on."""

    name: str
    payload: type[P]

    def __call__(self, payload: P, users: Iterable[int] = ()) -> Event:
        return Event(self.name, payload.model_dump(mode="json"), tuple(users))

    def read(self, event: Event) -> P:
        """The typed payload of an event of this type (for consumers that want more than ids)."""
        assert event.type == self.name, (event.type, self.name)
        return self.payload.model_validate(event.payload)


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
