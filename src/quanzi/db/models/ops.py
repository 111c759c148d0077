"""Bookkeeping tables: named counters and idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base, BigId, UTCDateTime


class Counter(Base):
    """A named, gap-tolerant, never-reused counter (e.g. account numbers), advanced by
    UPDATE ... RETURNING inside the transaction that uses the value."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigId)


class IdempotencyKey(Base):
    """A create that carried an Idempotency-Key: stored in the transaction of the object it
    created, so a retry finds the object and a different request with the same key is refused."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(BigId)  # 0 for requests made before logging in
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
