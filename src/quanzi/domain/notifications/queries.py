"""Listing notifications."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select

from quanzi.db.models import Notification
from quanzi.db.paginate import window_query
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.pagination import Page, Window


async def list_notifications(
    tx: Tx,
    viewer: Principal,
    window: Window,
    *,
    unread_only: bool = False,
    kinds: Collection[str] | None = None,
) -> Page[Notification]:
    """My notifications, newest first (only of `kinds`, when given)."""
    query = select(Notification).where(Notification.account_id == viewer.account_id)
    if kinds is not None:
        query = query.where(Notification.kind.in_(sorted(kinds)))
    if unread_only:
        query = query.where(Notification.read.is_(False))
    rows = (await tx.session.execute(window_query(query, Notification.id, window))).scalars()
    return Page.build(list(rows), window, lambda n: n.id)


async def access_notification(
    tx: Tx, viewer: Principal, notification_id: int, kinds: Collection[str] | None = None
) -> Notification:
    query = select(Notification).where(
        Notification.id == notification_id, Notification.account_id == viewer.account_id
    )
    if kinds is not None:
        query = query.where(Notification.kind.in_(sorted(kinds)))
    found = (await tx.session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound("No such notification.")
    return found


async def count_unread(tx: Tx, viewer: Principal, kinds: Collection[str] | None = None) -> int:
    query = select(func.count()).where(
        Notification.account_id == viewer.account_id, Notification.read.is_(False)
    )
    if kinds is not None:
        query = query.where(Notification.kind.in_(sorted(kinds)))
    return int(await tx.session.scalar(query) or 0)
