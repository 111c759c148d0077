"""How a notification looks outside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from quanzi.db.models import Notification
from quanzi.kit.wire import Id

# How each kind reads in Mastodon's API, for the Mastodon door's notifications and the pushes
# to Mastodon apps (a reply or a comment is a mention: it speaks to you). Kinds not named
# here (chats, groups, friends, Moments) never reach a Mastodon app.
MASTODON_TYPES = {
    "mention": "mention",
    "comment": "mention",
    "reply": "mention",
    "repost": "reblog",
    "like": "favourite",
    "comment_like": "favourite",
    "follow": "follow",
    "follow_request": "follow_request",
}


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
