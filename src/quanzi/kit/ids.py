"""Time-sortable 64-bit ids.

Layout (most significant first): 41 bits of milliseconds since 2024-01-01 UTC, 10 bits of node,
12 bits of sequence. Ids from one node are strictly increasing; ids from different nodes are
unique as long as their node numbers differ (set QUANZI_NODE_ID per process when scaling out;
otherwise a random node is drawn at start). An id is at most 2**63 - 1, so it fits a signed
BIGINT; JSON carries ids as strings because JavaScript numbers stop at 2**53.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NODE_BITS = 10
SEQUENCE_BITS = 12
MAX_NODE = (1 << NODE_BITS) - 1
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
_TIME_SHIFT = NODE_BITS + SEQUENCE_BITS
MAX_ID = (1 << 63) - 1


class IdGenerator:
    def __init__(self, node: int) -> None:
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be between 0 and {MAX_NODE}")
        self.node = node
        self._last_ms = 0
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            now = max(time.time_ns() // 1_000_000, self._last_ms)  # never step back in time
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & _SEQUENCE_MASK
                if self._sequence == 0:  # 4096 ids in this millisecond: borrow the next one
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << _TIME_SHIFT) | (self.node << SEQUENCE_BITS) | self._sequence


_generator = IdGenerator(random.randrange(MAX_NODE + 1))


def configure(node: int | None) -> None:
    """Fix this process's node number (None keeps the random one drawn at import)."""
    global _generator
    if node is not None and node != _generator.node:
        _generator = IdGenerator(node)


def new_id() -> int:
    return _generator.next()


def id_at(moment: datetime) -> int:
    """The smallest id that can be made at `moment`: a cursor for "everything since"."""
    ms = int(moment.timestamp() * 1000)
    return max(ms - EPOCH_MS, 0) << _TIME_SHIFT


def time_of(ident: int) -> datetime:
    return datetime.fromtimestamp(((ident >> _TIME_SHIFT) + EPOCH_MS) / 1000, tz=UTC)
