"""Reading Moments, with the audience and mutual-friend rules in the queries."""

from __future__ import annotations

from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.tx import Tx


async def moment_media_visible(tx: Tx, viewer: Principal, media_id: int) -> bool:
    """May `viewer` see a Moment that carries this media?"""
    return False
