"""How a push subscription looks outside."""

from __future__ import annotations

from pydantic import BaseModel

from quanzi.db.models import PushSubscription
from quanzi.kit.wire import Id


class PushSubscriptionRead(BaseModel):
    id: Id
    endpoint: str
    alerts: list[str]  # kinds of pushes it gets: "message", "chat_mention", "mention", ...
    policy: str  # whose actions push: all | followed | follower | none
    previews: bool  # whether a push says who wrote and what
    language: str  # of the words pushed: zh | en
    server_key: str  # the VAPID public key the browser subscribed with

    @classmethod
    def of(cls, s: PushSubscription, server_key: str) -> PushSubscriptionRead:
        return cls(
            id=s.id,
            endpoint=s.endpoint,
            alerts=s.alerts.split(),
            policy=s.policy,
            previews=s.previews,
            language=s.language,
            server_key=server_key,
        )
