"""Recording and reading notifications."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, update

from quanzi.db.models import Notification
from quanzi.db.upsert import upsert
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.events import NOTIFICATION_NEW, NOTIFICATIONS_READ, NotificationsRead
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.domain.push.actions import queue_notification_pushes
from quanzi.domain.tx import Tx
from quanzi.kit.ids import new_id

NOTIFICATIONS = cast(Table, Notification.__table__)
NOTIFY_CHUNK = 1000  # rows per statement: 8,000 values, far below SQLite and asyncpg limits
UNIQUE_KEY = ("account_id", "kind", "subject_id")
REFRESHED = ("id", "actor_id", "data", "read", "created_at")


@dataclass(frozen=True, slots=True)
class NewNotification:
    account_id: int
    kind: str
    subject_id: int
    actor_id: int | None = None
    data: dict[str, Any] | None = None


async def do_notify(
    tx: Tx,
    account_id: int,
    kind: str,
    *,
    subject_id: int,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> NotificationRead:
    """Record a notification (refreshing an earlier one about the same subject, which becomes
    new and unread again, at the top of the list) and push it to the account's devices after
    commit. One upsert, so concurrent notifications about one subject never collide."""
    [notification] = await do_notify_many(
        tx, [NewNotification(account_id, kind, subject_id, actor_id, data)]
    )
    return notification


async def do_notify_many(tx: Tx, wanted: list[NewNotification]) -> list[NotificationRead]:
    """Record many notifications as `do_notify` does one, with one multi-row upsert per
    NOTIFY_CHUNK of them (an @all in a big group, a batch of chat messages). Of several about
    the same (account, kind, subject), the last one counts."""
    rows = {
        (n.account_id, n.kind, n.subject_id): {
            "id": new_id(),
            "account_id": n.account_id,
            "kind": n.kind,
            "actor_id": n.actor_id,
            "subject_id": n.subject_id,
            "data": orjson.dumps(n.data or {}).decode(),
            "read": False,
            "created_at": tx.now,
        }
        for n in wanted
    }
    values = list(rows.values())
    statement = upsert(tx.dialect, NOTIFICATIONS, list(UNIQUE_KEY), list(REFRESHED))
    for start in range(0, len(values), NOTIFY_CHUNK):
        await tx.session.execute(statement.values(values[start : start + NOTIFY_CHUNK]))
    notifications = []
    for (account_id, _, _), row in rows.items():
        notification = NotificationRead.of(Notification(**row))
        tx.emit(NOTIFICATION_NEW(notification, users=[account_id]))
        notifications.append(notification)
    await queue_notification_pushes(
        tx,
        [
            (int(n.id), key[0])
            for key, n in zip(rows, notifications, strict=True)
            if n.kind != "chat_mention"
        ],
    )
    return notifications


async def do_mark_read(tx: Tx, viewer: Principal, *, up_to_id: int | None, ids: list[int]) -> int:
    """Mark notifications read: every one up to an id, and/or the ones listed."""
    query = update(Notification).where(
        Notification.account_id == viewer.account_id, Notification.read.is_(False)
    )
    if up_to_id is not None and ids:
        query = query.where((Notification.id <= up_to_id) | Notification.id.in_(ids))
    elif up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    else:
        query = query.where(Notification.id.in_(ids))
    result = await tx.session.execute(query.values(read=True))
    changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if changed:
        done = NotificationsRead(up_to_id=up_to_id or None, ids=ids)
        tx.emit(NOTIFICATIONS_READ(done, users=[viewer.account_id]))
    return changed


async def do_dismiss(
    tx: Tx, viewer: Principal, *, ids: list[int] | None, kinds: Collection[str] | None = None
) -> int:
    """Delete notifications: the ones listed, or all of them (ids None); only of `kinds`,
    when given."""
    query = delete(Notification).where(Notification.account_id == viewer.account_id)
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    if kinds is not None:
        query = query.where(Notification.kind.in_(sorted(kinds)))
    result = await tx.session.execute(query)
    gone = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if gone:
        done = NotificationsRead(up_to_id=None, ids=ids or [])
        tx.emit(NOTIFICATIONS_READ(done, users=[viewer.account_id]))
    return gone
