"""The running parts of one quanzi process, made once and shared by every door.

`Services.write()` and `Services.read()` open the unit of work (`Tx`) that domain actions use;
`write()` publishes the events recorded in it after the commit and never before.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from quanzi.config import Settings
from quanzi.db.checkpoint import checkpointer_job
from quanzi.db.engine import Database
from quanzi.domain.accounts.cache import AccountCache
from quanzi.domain.accounts.passwords import Passwords
from quanzi.domain.accounts.revocations import Revocations
from quanzi.domain.accounts.sessions import Authenticator
from quanzi.domain.chat.presence import Presence
from quanzi.domain.chat.send import MessageSender
from quanzi.domain.media.storage import MediaStore
from quanzi.domain.media.urls import MediaUrls
from quanzi.domain.square.topics import TopicIds
from quanzi.domain.square.viewcount import ViewCounter
from quanzi.domain.tx import Shared, Tx
from quanzi.jobs.runner import Jobs
from quanzi.kit import ids
from quanzi.kit.webpush import PushClient, ServerKey
from quanzi.obs.logging import get_logger
from quanzi.ratelimit import RateLimiter
from quanzi.realtime.bus import Bus, make_bus
from quanzi.realtime.gateway import Gateway
from quanzi.realtime.presence import Online

log = get_logger("quanzi.services")


def _commit_and_close(session: Session) -> None:
    """Both in one switch into SQLAlchemy's synchronous side (see Tx.run_sync)."""
    try:
        session.commit()
    finally:
        session.close()


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        ids.configure(settings.node_id)
        self.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            sqlite_readers=settings.sqlite_readers,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_driver=settings.sqlite_driver,
            sqlite_own_checkpoints=True,
        )
        self.bus: Bus = make_bus(settings.redis_url, settings.redis_prefix)
        self.limiter = RateLimiter(settings.redis_url, settings.redis_prefix)
        self.passwords = Passwords(
            settings.argon2_time_cost,
            settings.argon2_memory_kib,
            settings.argon2_parallelism,
            slots=settings.password_hash_slots,
            recheck_slots=settings.password_recheck_slots,
        )
        self.auth = Authenticator(self.db, settings.session_cache_seconds)
        self.media_store = MediaStore(settings.media_path)
        self.media_urls = MediaUrls(settings.public_base, settings.secret())
        self.account_cache = AccountCache(self.db)
        self.revocations = Revocations(self.db)
        self.gateway = Gateway(settings.ws_send_queue, ended=self.revocations.ends)
        self.revocations.listen(self.auth.forget)
        self.revocations.listen(self.gateway.revoke)
        self.bus.subscribe(self.account_cache.handle)
        self.bus.subscribe(self.revocations.handle)
        self.bus.subscribe(self.gateway.handle)
        self.sender = MessageSender(self.write, settings)
        self.online = Online(settings.redis_url, settings.redis_prefix)
        self.presence = Presence(self.read, self.bus, self.online)
        self.views = ViewCounter(self.db)
        self.topic_ids = TopicIds()
        self.shared = Shared(self.account_cache, self.views, self.topic_ids)
        self.jobs = Jobs(self.db, settings)  # the durable job queue; periodic tasks in jobs/
        subject = settings.push_subject or settings.public_base
        self.webpush = PushClient(ServerKey(settings.secret(), subject))  # domain/push/
        self.checkpoints = checkpointer_job(self.db.checkpointer) if self.db.checkpointer else None
        self.started = False
        self._on_stopping: list[Callable[[], None]] = []

    def on_stopping(self, fn: Callable[[], None]) -> None:
        """Call `fn` as soon as the server is told to stop, before it waits for open responses
        to end: for responses that never end by themselves (event streams)."""
        self._on_stopping.append(fn)

    def stopping(self) -> None:
        """The server was told to stop (app.py notices it); runs the on_stopping steps once."""
        steps, self._on_stopping = self._on_stopping, []
        for step in steps:
            try:
                step()
            except Exception:
                log.exception("stopping step failed")

    async def start(self, *, work: bool = False) -> None:
        """Start the running parts; `work`: also run a job worker (`quanzi serve` does, one-shot
        commands do not)."""
        self.media_store.root.mkdir(parents=True, exist_ok=True)
        await self.bus.start()
        await self.revocations.start()
        self.auth.start()
        self.sender.start()
        self.online.start()
        self.views.start()
        if work:
            self.jobs.start({"services": self})
        if self.checkpoints is not None:
            self.checkpoints.start()
        self.started = True

    async def stop(self) -> None:
        self.stopping()
        self.gateway.close_all()
        await self.sender.stop()
        await self.online.stop()
        await self.views.stop()
        await self.jobs.stop()
        await self.webpush.close()
        await self.auth.stop()
        await self.revocations.stop()
        await self.bus.stop()
        if self.checkpoints is not None:
            await self.checkpoints.stop()
        await self.db.dispose()
        self.started = False

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises;
        its events are published after the commit."""
        tx = Tx(
            self.db.write_session,
            self.settings,
            datetime.now(UTC),
            shared=self.shared,
            media_urls=self.media_urls,
            dialect=self.db.dialect,
        )
        try:
            yield tx
            if tx.jobs:
                await self.jobs.add_in(tx.session, tx.jobs)
            if tx.opened is not None:
                await tx.opened.run_sync(_commit_and_close)
        except BaseException:
            if tx.opened is not None:
                await tx.opened.close()  # rolls back what was not committed
            for undo in tx._on_rollback:
                undo()
            raise
        if tx.jobs:
            self.jobs.queue.wake()
        if tx.events:
            await self.bus.publish(tx.events)
        for then in tx._after_commit:
            try:
                then()
            except Exception:
                log.exception("after-commit step failed")

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only transaction (a consistent snapshot). Closing the session ends it and
        leaves the objects read usable (detached, not expired)."""
        tx = Tx(
            self.db.read_session,
            self.settings,
            datetime.now(UTC),
            shared=self.shared,
            media_urls=self.media_urls,
            dialect=self.db.dialect,
        )
        try:
            yield tx
        finally:
            if tx.opened is not None:
                await tx.opened.close()

    async def readiness(self) -> dict[str, str]:
        """What /readyz and `quanzi doctor` report: "ok" or what is wrong, per part."""
        report: dict[str, str] = {}
        try:
            await self.db.ping()
            report["database"] = "ok"
        except Exception as exc:
            report["database"] = f"unreachable: {exc.__class__.__name__}: {exc}"
        if self.settings.redis_url:
            try:
                await self.bus.ping()
                report["redis"] = "ok"
            except Exception as exc:
                report["redis"] = f"unreachable: {exc.__class__.__name__}: {exc}"
        return report
