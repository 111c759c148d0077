"""Reading positions (markers): where an account stopped reading its home timeline and its
notifications, so that another app of the same person starts there."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from quanzi.db.models import Marker
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid

TIMELINES = frozenset({"home", "notifications"})


async def get_markers(tx: Tx, viewer: Principal, timelines: Collection[str]) -> list[Marker]:
    wanted = sorted(set(timelines) & TIMELINES)
    if not wanted:
        return []
    rows = await tx.session.execute(
        select(Marker).where(Marker.account_id == viewer.account_id, Marker.timeline.in_(wanted))
    )
    return list(rows.scalars())


async def do_save_marker(tx: Tx, viewer: Principal, timeline: str, last_read_id: int) -> Marker:
    if timeline not in TIMELINES:
        raise Invalid("A marker is for home or notifications.", code="invalid_timeline")
    marker = await tx.session.get(Marker, (viewer.account_id, timeline))
    if marker is None:
        marker = Marker(
            account_id=viewer.account_id,
            timeline=timeline,
            last_read_id=last_read_id,
            version=1,
            updated_at=tx.now,
        )
        tx.session.add(marker)
    else:
        marker.last_read_id = last_read_id
        marker.version += 1
        marker.updated_at = tx.now
    await tx.session.flush()
    return marker
