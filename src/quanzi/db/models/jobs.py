"""The durable job queue's table (jobs/queue.py is the only code that reads or writes it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quanzi.db.models.base import Base


class JobRow(Base):
    """One job: saq's `Job` as JSON in `job`, and beside it the columns the queue selects on.
    `status` is the truth (the JSON's copy may lag it): queued, active, aborting, complete,
    failed, aborted. Failed and aborted rows are the dead-letter list: kept until an operator
    retries or drops them (`quanzi jobs`); complete rows expire at `expire_at`."""

    __tablename__ = "jobs"
    __table_args__ = (
        # what a worker claims: the queued job of its queue that is due first
        Index("ix_jobs_due", "queue", "status", "scheduled"),
    )

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    queue: Mapped[str] = mapped_column(String(50))
    function: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    scheduled: Mapped[int] = mapped_column(BigInteger)  # epoch seconds; 0 = at once
    expire_at: Mapped[int | None] = mapped_column(BigInteger)  # epoch seconds
    job: Mapped[str] = mapped_column(Text)
