"""Listing notifications."""

from __future__ import annotations

from sqlalchemy import func, select

from quanzi.db.models import Notification
from quanzi.db.paginate import window_query
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.tx import Tx
from quanzi.kit.pagination import Page, Window


async def list_notifications(
    tx: Tx, viewer: Principal, window: Window, *, unread_only: bool = False
) -> Page[Notification]:
    query = select(Notification).where(Notification.account_id == viewer.account_id)
    if unread_only:
        query = query.where(Notification.read.is_(False))
    rows = (await tx.session.execute(window_query(query, Notification.id, window))).scalars()
    return Page.build(list(rows), window, lambda n: n.id)


async def count_unread(tx: Tx, viewer: Principal) -> int:
    query = select(func.count()).where(
        Notification.account_id == viewer.account_id, Notification.read.is_(False)
    )
    return int(await tx.session.scalar(query) or 0)
