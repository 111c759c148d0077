"""Web Push: the server's key, and this session's subscription (docs/api.md, "Push")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from quanzi.api.deps import ServicesDep, Viewer
from quanzi.api.native.common import ERRORS, PREFIX
from quanzi.domain.push import actions
from quanzi.domain.push.actions import KINDS, Wanted
from quanzi.domain.push.shapes import PushSubscriptionRead

router = APIRouter(prefix=PREFIX, tags=["push"], responses=ERRORS)  # type: ignore[arg-type]


class Keys(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p256dh: Annotated[str, Field(max_length=200)]
    auth: Annotated[str, Field(max_length=50)]


class Subscribe(BaseModel):
    """What a browser's `PushSubscription.toJSON()` gives (endpoint, keys), and what to push."""

    model_config = ConfigDict(extra="ignore")  # toJSON() also carries expirationTime
    endpoint: Annotated[str, Field(max_length=2000)]
    keys: Keys
    alerts: Annotated[list[str], Field(max_length=20)] = sorted(KINDS)
    policy: str = "all"
    previews: bool = False
    language: Annotated[str | None, Field(max_length=10)] = None


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alerts: Annotated[list[str] | None, Field(max_length=20)] = None
    policy: str | None = None
    previews: bool | None = None


class ServerKeyOut(BaseModel):
    server_key: str  # pass it as `applicationServerKey` to pushManager.subscribe()


@router.get("/push/server_key", summary="The server's Web Push (VAPID) public key")
async def server_key(viewer: Viewer, services: ServicesDep) -> ServerKeyOut:
    return ServerKeyOut(server_key=services.webpush.key.public)


@router.put("/push/subscription", summary="Subscribe this session to Web Push")
async def subscribe(body: Subscribe, viewer: Viewer, services: ServicesDep) -> PushSubscriptionRead:
    wanted = Wanted(
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        alerts=frozenset(body.alerts),
        policy=body.policy,
        previews=body.previews,
        language=body.language,
    )
    async with services.write() as tx:
        made = await actions.do_subscribe(tx, viewer, "native", wanted)
    return PushSubscriptionRead.of(made, services.webpush.key.public)


@router.get("/push/subscription", summary="This session's push subscription")
async def get_subscription(viewer: Viewer, services: ServicesDep) -> PushSubscriptionRead:
    async with services.read() as tx:
        found = await actions.access_subscription(tx, viewer)
    return PushSubscriptionRead.of(found, services.webpush.key.public)


@router.patch("/push/subscription", summary="Change what this session is pushed")
async def change_subscription(
    body: Change, viewer: Viewer, services: ServicesDep
) -> PushSubscriptionRead:
    async with services.write() as tx:
        changed = await actions.do_update_subscription(
            tx, viewer, alerts=body.alerts, policy=body.policy, previews=body.previews
        )
    return PushSubscriptionRead.of(changed, services.webpush.key.public)


@router.delete("/push/subscription", status_code=204, summary="Stop pushing to this session")
async def unsubscribe(viewer: Viewer, services: ServicesDep) -> Response:
    async with services.write() as tx:
        await actions.do_unsubscribe(tx, viewer)
    return Response(status_code=204)
