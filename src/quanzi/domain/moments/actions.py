"""Writes on Moments."""

from __future__ import annotations

from quanzi.domain.tx import Tx


async def do_erase_moments(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: its Moments, likes and comments go."""
