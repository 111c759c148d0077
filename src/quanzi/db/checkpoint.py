"""Checkpoints of the embedded database's write-ahead log, away from the event loop.

By default SQLite copies its log back into the database file (a checkpoint) inside the commit
that takes the log past 1,000 pages, and that commit waits for the copy and an fsync of the
file. Measured on the benchmark world, that was 10-35 ms every few seconds while views were
being written, and the inline driver (sqlite_inline.py) runs commits on the event loop: every
request in flight waited with it. So a serving process turns automatic checkpoints off on its
writer connection (`wal_autocheckpoint=0`, see engine.py) and checkpoints every second from a
worker thread on a connection of its own; Python's sqlite3 lets go of the interpreter lock
while SQLite works. The checkpoints are PASSIVE: they copy what no reader still needs and
never wait for, nor hold up, readers or the writer. One that could not copy everything is
followed by the next a second later.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from quanzi.kit.periodic import Periodic

EVERY = 1.0  # seconds


class Checkpointer:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one checkpoint at a time, and none while closing

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint (blocking: run it in a thread): (busy, log pages, pages
        copied), as SQLite reports them."""
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self._path, isolation_level=None, check_same_thread=False, timeout=0
                )
            busy, log_pages, copied = self._conn.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchone()
            return int(busy), int(log_pages), int(copied)

    async def run(self) -> None:
        await asyncio.to_thread(self.checkpoint)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def checkpointer_job(checkpointer: Checkpointer) -> Periodic:
    return Periodic("quanzi-checkpoint", checkpointer.run, EVERY, failed="checkpoint failed")
