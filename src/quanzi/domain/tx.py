"""The unit of work that domain actions write through.

The door (request, job, command) opens it with `services.write()` or `services.read()` and owns
its end. Actions add rows through `tx.session` and record events with `tx.emit`; events are
published, and after-commit work is run, only once the transaction has committed. Nothing is
published for a transaction that rolls back. Jobs (`tx.enqueue`) are written in the transaction
itself, so they exist exactly when it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from quanzi.realtime.events import Event

P = ParamSpec("P")
T = TypeVar("T")

if TYPE_CHECKING:
    from quanzi.config import Settings
    from quanzi.domain.media.urls import MediaUrls


class Shared:
    """What one process's transactions share, each part found by its type: the caches and
    counters that an area keeps (AccountCache, TopicIds, ViewCounter), made once by the
    composition root. The area defines its part and reaches it through here
    (`AccountCache.of(tx)`); Tx knows none of them, so no area's module is imported here."""

    __slots__ = ("_by_type",)

    def __init__(self, *parts: object) -> None:
        self._by_type: dict[type, object] = {type(part): part for part in parts}

    def __getitem__(self, kind: type[T]) -> T:
        return cast(T, self._by_type[kind])

    def get(self, kind: type[T]) -> T | None:
        return cast("T | None", self._by_type.get(kind))


class Tx:
    __slots__ = (
        "_after_commit",
        "_connection",
        "_make_session",
        "_on_rollback",
        "_session",
        "dialect",
        "events",
        "jobs",
        "media_urls",
        "now",
        "settings",
        "shared",
    )

    def __init__(
        self,
        make_session: Callable[[], AsyncSession],
        settings: Settings,
        now: datetime,
        *,
        shared: Shared,
        media_urls: MediaUrls,
        dialect: str = "sqlite",
    ) -> None:
        self._make_session = make_session
        self._session: AsyncSession | None = None
        self._connection: AsyncConnection | None = None
        self.settings = settings
        self.now = now  # one clock reading per transaction: its rows agree on the time
        self.shared = shared  # the areas' per-process caches and counters (see Shared)
        self.dialect = dialect  # "sqlite" | "postgresql": only for db/ helpers that differ
        self.media_urls = media_urls  # signs the media URLs that rendering hands out
        self.events: list[Event] = []
        self.jobs: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self._after_commit: list[Callable[[], Any]] = []
        self._on_rollback: list[Callable[[], Any]] = []

    @property
    def session(self) -> AsyncSession:
        """The database session, opened on first use (a read served from a cache opens none)."""
        if self._session is None:
            self._session = self._make_session()
        return self._session

    async def connection(self) -> AsyncConnection:
        """The session's connection, for statements written in SQLAlchemy Core (the hot paths
        skip the unit of work). The same for the whole transaction (a savepoint keeps it), so
        it is asked of the session once: each asking costs a switch into SQLAlchemy's
        synchronous side."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    async def run_sync(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(connection, *args, **kwargs)`: statements written with SQLAlchemy's synchronous
        API, run back to back in this transaction. Each awaited statement is a switch into
        SQLAlchemy's synchronous side and back (a new greenlet, the request's stack copied:
        ~15 µs in a server, more than a short statement costs); `fn` makes all of its
        statements in one. Hot paths that write several rows use it (writing a post)."""
        return await self.session.run_sync(_on_connection, fn, *args, **kwargs)

    @property
    def opened(self) -> AsyncSession | None:
        return self._session

    def emit(self, event: Event) -> None:
        """Record an event (one of domain/events.py's types, or an internal one), published
        on the bus once the transaction commits."""
        self.events.append(event)

    def enqueue(
        self, function: str, /, *, options: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Queue the job `function(ctx, **kwargs)` (jobs/): its row is written in this
        transaction, so it runs if and only if the transaction commits. `options` are fields
        of saq's Job (key, scheduled, timeout, retries ...); a key already in the queue is not
        queued again. The function may run more than once (its process may die mid-run):
        it keys its effects on `ctx["job"].key`."""
        self.jobs.append((function, kwargs, options or {}))

    def after_commit(self, fn: Callable[[], Any]) -> None:
        """Run `fn` once committed (e.g. delete files that the erased rows pointed to)."""
        self._after_commit.append(fn)

    def on_rollback(self, fn: Callable[[], Any]) -> None:
        """Run `fn` if the transaction fails (e.g. delete files written for it)."""
        self._on_rollback.append(fn)


class Transactions(Protocol):
    """What opens transactions (`Services` does): handed to the domain actions that open
    their own, around slow work done outside any transaction (hashing a password, decoding an
    image) or to retry one (an idempotent create)."""

    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    def read(self) -> AbstractAsyncContextManager[Tx]: ...


def _on_connection(session: Session, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return fn(session.connection(), *args, **kwargs)
