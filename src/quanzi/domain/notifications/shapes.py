"""How a notification looks outside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from quanzi.db.models import Notification
from quanzi.kit.wire import Id


class NotificationRead(BaseModel):
    id: Id
    kind: str  # friend_request, follow, chat_mention, mention, like … (docs/api.md)
    actor_id: Id | None
    subject_id: Id
    data: dict[str, Any]
    read: bool
    created_at: datetime

    @classmethod
    def of(cls, n: Notification) -> NotificationRead:
        return cls(
            id=n.id,
            kind=n.kind,
            actor_id=n.actor_id,
            subject_id=n.subject_id,
            data=orjson.loads(n.data),
            read=n.read,
            created_at=n.created_at,
        )
