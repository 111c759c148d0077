"""Subscribing a session to Web Push, and what a write queues for pushing.

A subscription belongs to one session (a browser, a Mastodon app's token) and goes with it.
It names the kinds it wants (`alerts`), whose actions may wake it (`policy`, as Mastodon's),
and whether a push may say who wrote and what (`previews`, off unless the person turns it on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select

from quanzi.db.models import PushSubscription
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.push.words import language_of
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid, NotFound
from quanzi.kit import webpush
from quanzi.kit.ids import new_id

# What a subscription may ask for: a chat message, and each kind of notification.
KINDS = frozenset(
    {
        "message",
        "chat_mention",
        "mention",
        "comment",
        "reply",
        "repost",
        "like",
        "comment_like",
        "follow",
        "follow_request",
        "follow_accepted",
        "group_invite",
    }
)
POLICIES = frozenset({"all", "followed", "follower", "none"})
DOORS = frozenset({"native", "mastodon"})


@dataclass(frozen=True, slots=True)
class Wanted:
    """A subscription as a client asks for it."""

    endpoint: str
    p256dh: str
    auth: str
    alerts: frozenset[str] = KINDS
    policy: str = "all"
    previews: bool = False
    standard: bool = True
    language: str | None = None


def check_alerts(alerts: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(alerts)
    unknown = sorted(wanted - KINDS)
    if unknown:
        raise Invalid(f"Unknown alert: {unknown[0]}.", code="invalid_alert")
    return wanted


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise Invalid("The policy is one of all, followed, follower, none.", code="invalid_policy")
    return policy


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        webpush.seal(b"", p256dh, auth)
    except (ValueError, TypeError) as bad:
        raise Invalid(
            "The subscription's keys are not a P-256 key and a 16-byte secret.",
            code="invalid_push_keys",
        ) from bad


async def do_subscribe(tx: Tx, viewer: Principal, door: str, wanted: Wanted) -> PushSubscription:
    """Subscribe the viewer's session, replacing what it had (one subscription per session)."""
    assert door in DOORS
    try:
        endpoint = webpush.check_endpoint(
            wanted.endpoint, allow_private=tx.settings.push_allow_private
        )
    except ValueError as bad:
        raise Invalid(
            "The push endpoint must be an https URL of a push service.", code="invalid_endpoint"
        ) from bad
    _check_keys(wanted.p256dh, wanted.auth)
    await tx.session.execute(
        delete(PushSubscription).where(PushSubscription.session_id == viewer.session_id)
    )
    subscription = PushSubscription(
        id=new_id(),
        account_id=viewer.account_id,
        session_id=viewer.session_id,
        door=door,
        endpoint=endpoint,
        p256dh=wanted.p256dh,
        auth=wanted.auth,
        standard=wanted.standard,
        alerts=" ".join(sorted(check_alerts(wanted.alerts))),
        policy=check_policy(wanted.policy),
        previews=wanted.previews,
        language=language_of(wanted.language),
        created_at=tx.now,
    )
    tx.session.add(subscription)
    await tx.session.flush()
    return subscription


async def access_subscription(tx: Tx, viewer: Principal) -> PushSubscription:
    """The viewer's session's subscription, or NotFound."""
    found = await tx.session.scalar(
        select(PushSubscription).where(PushSubscription.session_id == viewer.session_id)
    )
    if found is None:
        raise NotFound("This device is not subscribed to push notifications.")
    return found


async def do_update_subscription(
    tx: Tx,
    viewer: Principal,
    *,
    alerts: Iterable[str] | None = None,
    policy: str | None = None,
    previews: bool | None = None,
) -> PushSubscription:
    subscription = await access_subscription(tx, viewer)
    if alerts is not None:
        subscription.alerts = " ".join(sorted(check_alerts(alerts)))
    if policy is not None:
        subscription.policy = check_policy(policy)
    if previews is not None:
        subscription.previews = previews
    await tx.session.flush()
    return subscription


async def do_unsubscribe(tx: Tx, viewer: Principal) -> None:
    await tx.session.execute(
        delete(PushSubscription).where(PushSubscription.session_id == viewer.session_id)
    )


# What a write queues. Only a lookup on the hot paths: which of the people concerned have a
# subscription at all (none, usually); the job reads the rest.

_SUBSCRIBED_Q = (
    select(PushSubscription.account_id)
    .where(PushSubscription.account_id.in_(bindparam("ids", expanding=True)))
    .limit(1)
)


async def _subscribed(tx: Tx, account_ids: Iterable[int]) -> bool:
    ids = sorted(set(account_ids))
    if not ids:
        return False
    conn = await tx.connection()
    return (await conn.execute(_SUBSCRIBED_Q, {"ids": ids})).first() is not None


async def queue_message_pushes(tx: Tx, message_ids: list[int], recipients: Iterable[int]) -> None:
    """After new chat messages are stored: one job that pushes them, if any of their
    recipients has a subscription."""
    if message_ids and await _subscribed(tx, recipients):
        tx.enqueue(
            "push_fanout",
            options={"key": f"push:messages:{message_ids[0]}"},
            messages=[str(i) for i in message_ids],
        )


async def queue_notification_pushes(tx: Tx, notifications: Iterable[tuple[int, int]]) -> None:
    """After notifications ((notification id, account id) pairs) are recorded. A chat
    mention is pushed with its message (`queue_message_pushes`), not again here."""
    pairs = list(notifications)
    if pairs and await _subscribed(tx, (account for _, account in pairs)):
        tx.enqueue(
            "push_fanout",
            options={"key": f"push:notifications:{pairs[0][0]}"},
            notifications=[str(i) for i, _ in pairs],
        )
