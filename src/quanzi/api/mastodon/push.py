"""Web Push for Mastodon apps: `/api/v1/push/subscription` (POST, GET, PUT, DELETE), one
subscription per access token, over the same subscriptions and deliveries as the web client
(domain/push/). An app's alerts name Mastodon's notification types; the ones quanzi has no
notification for (status, update, poll, admin.*) answer false. Payloads carry no
`access_token`: the server never keeps a token, only its hash (docs/mastodon.md, "Push")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon.auth import Push
from quanzi.api.mastodon.common import V1, MastodonRoute, MastoJSON, Params
from quanzi.db.models import PushSubscription
from quanzi.domain.notifications.shapes import MASTODON_TYPES
from quanzi.domain.push import actions
from quanzi.domain.push.actions import Wanted
from quanzi.errors import Invalid

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)

ALERT_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
)
KINDS_OF = {t: frozenset(k for k, v in MASTODON_TYPES.items() if v == t) for t in ALERT_TYPES}


def _field(params: Params, *path: str) -> Any:
    """`subscription[keys][auth]` as a form sends it, or nested as JSON does."""
    flat = path[0] + "".join(f"[{p}]" for p in path[1:])
    if flat in params.values:
        return params.values[flat]
    value: Any = params.values
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes")


def _alerts(params: Params) -> frozenset[str] | None:
    asked = {t: _field(params, "data", "alerts", t) for t in ALERT_TYPES}
    if all(v is None for v in asked.values()):
        return None
    return frozenset(k for t, v in asked.items() if _flag(v) for k in KINDS_OF[t])


def _entity(s: PushSubscription, server_key: str) -> dict[str, Any]:
    kinds = frozenset(s.alerts.split())
    return {
        "id": str(s.id),
        "endpoint": s.endpoint,
        "standard": s.standard,
        "alerts": {t: bool(KINDS_OF[t]) and KINDS_OF[t] <= kinds for t in ALERT_TYPES},
        "policy": s.policy,
        "server_key": server_key,
    }


@router.post(f"{V1}/push/subscription")
async def subscribe(request: Request, viewer: Push, services: ServicesDep) -> Response:
    params = await Params.of(request)
    endpoint, p256dh, auth = (
        _field(params, "subscription", "endpoint"),
        _field(params, "subscription", "keys", "p256dh"),
        _field(params, "subscription", "keys", "auth"),
    )
    if not all(isinstance(v, str) and v for v in (endpoint, p256dh, auth)):
        raise Invalid(
            "subscription[endpoint] and subscription[keys][p256dh] and [auth] are required.",
            code="invalid_subscription",
        )
    standard = _field(params, "subscription", "standard")
    wanted = Wanted(
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        alerts=_alerts(params) or frozenset(),
        policy=str(_field(params, "data", "policy") or "all"),
        standard=standard is not None and _flag(standard),
        language=request.headers.get("accept-language"),
    )
    async with services.write() as tx:
        made = await actions.do_subscribe(tx, viewer, "mastodon", wanted)
    return MastoJSON(_entity(made, services.webpush.key.public))


@router.get(f"{V1}/push/subscription")
async def get_subscription(viewer: Push, services: ServicesDep) -> Response:
    async with services.read() as tx:
        found = await actions.access_subscription(tx, viewer)
    return MastoJSON(_entity(found, services.webpush.key.public))


@router.put(f"{V1}/push/subscription")
async def change_subscription(request: Request, viewer: Push, services: ServicesDep) -> Response:
    params = await Params.of(request)
    policy = _field(params, "data", "policy")
    async with services.write() as tx:
        changed = await actions.do_update_subscription(
            tx, viewer, alerts=_alerts(params), policy=str(policy) if policy else None
        )
    return MastoJSON(_entity(changed, services.webpush.key.public))


@router.delete(f"{V1}/push/subscription")
async def unsubscribe(viewer: Push, services: ServicesDep) -> Response:
    async with services.write() as tx:
        await actions.do_unsubscribe(tx, viewer)
    return MastoJSON({})
