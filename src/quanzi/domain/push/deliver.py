"""Delivering pushes: two job functions of the durable queue (jobs/).

`push_fanout` runs once per write that queued it (`actions.queue_*_pushes`): it reads what
happened, who is subscribed and what each subscription wants, and queues one `push_send` per
(subscription, thing), keyed on both, in one transaction. `push_send` seals the payload to
the device's keys and hands it to its push service; a push service that says the subscription
is gone (404, 410) has it deleted; one that is busy or down (408, 429, 5xx, no answer) gets
the attempt again with backoff, then the dead-letter list.

What a payload says: never who or what unless the subscription turned previews on; the
words are in the device's language (`words.py`); a muted chat wakes nobody unless it
mentions them, as WeChat.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from sqlalchemy import delete, select

from quanzi.db.models import (
    Conversation,
    Follow,
    Member,
    Message,
    Notification,
    PushSubscription,
)
from quanzi.domain.contacts.queries import names_seen_by
from quanzi.domain.notifications.shapes import MASTODON_TYPES
from quanzi.domain.push import words
from quanzi.domain.tx import Transactions, Tx
from quanzi.kit import webpush
from quanzi.obs.logging import get_logger

if TYPE_CHECKING:
    from quanzi.config import Settings

log = get_logger("quanzi.push")

GONE = frozenset({404, 410})
AGAIN = frozenset({408, 425, 429})  # and every 5xx
URGENT = frozenset({"message", "chat_mention", "mention", "reply"})


class PushWork(Transactions, Protocol):
    """What the push jobs use of the running process (`Services` has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def webpush(self) -> webpush.PushClient: ...


Delivery = tuple[int, str, dict[str, Any]]  # subscription id, what it is about, payload


async def push_fanout(
    ctx: dict[str, Any],
    *,
    messages: list[str] | None = None,
    notifications: list[str] | None = None,
) -> None:
    services: PushWork = ctx["services"]
    async with services.read() as tx:
        deliveries = (
            await message_deliveries(tx, [int(i) for i in messages])
            if messages
            else await notification_deliveries(tx, [int(i) for i in notifications or ()])
        )
    if not deliveries:
        return
    async with services.write() as tx:
        for subscription_id, about, payload in deliveries:
            tx.enqueue(
                "push_send",
                options={"key": f"push:{subscription_id}:{about}"},
                subscription_id=str(subscription_id),
                payload=payload,
            )


async def push_send(ctx: dict[str, Any], *, subscription_id: str, payload: dict[str, Any]) -> None:
    services: PushWork = ctx["services"]
    async with services.read() as tx:
        subscription = await tx.session.get(PushSubscription, int(subscription_id))
        if subscription is None:
            return  # unsubscribed, logged out, or dropped since
        endpoint, p256dh, auth, standard = (
            subscription.endpoint,
            subscription.p256dh,
            subscription.auth,
            subscription.standard,
        )
    where = webpush.fingerprint(endpoint)
    allow_private = services.settings.push_allow_private
    if not allow_private and not await asyncio.to_thread(webpush.public_address, endpoint):
        log.warning("push endpoint is not a public address; dropped", endpoint=where)
        await _forget(services, int(subscription_id))
        return
    sealed = webpush.seal(orjson.dumps(payload), p256dh, auth, standard=standard)
    urgency = "high" if payload.get("kind") in URGENT else "normal"
    status = await services.webpush.post(
        endpoint, sealed, ttl=services.settings.push_ttl_seconds, urgency=urgency
    )
    if status in GONE:
        log.info("push subscription gone", endpoint=where, status=status)
        await _forget(services, int(subscription_id))
    elif status in AGAIN or status >= 500:
        raise RuntimeError(f"push service answered {status}; trying again")
    elif status >= 400:
        log.warning("push refused", endpoint=where, status=status)


async def _forget(services: PushWork, subscription_id: int) -> None:
    async with services.write() as tx:
        await tx.session.execute(
            delete(PushSubscription).where(PushSubscription.id == subscription_id)
        )


def _alerts(subscription: PushSubscription) -> frozenset[str]:
    return frozenset(subscription.alerts.split())


async def _subscriptions(tx: Tx, account_ids: set[int]) -> dict[int, list[PushSubscription]]:
    found: dict[int, list[PushSubscription]] = defaultdict(list)
    if account_ids:
        rows = await tx.session.scalars(
            select(PushSubscription).where(PushSubscription.account_id.in_(sorted(account_ids)))
        )
        for subscription in rows:
            found[subscription.account_id].append(subscription)
    return found


def _mentions(raw: str, account_id: int) -> bool:
    if not raw:
        return False
    found = orjson.loads(raw)
    return found == "all" or account_id in {int(i) for i in found}


async def message_deliveries(tx: Tx, message_ids: list[int]) -> list[Delivery]:
    """A push per new chat message to each other member's native and web devices that want
    it: muted chats only when the message mentions them."""
    rows = (
        await tx.session.execute(
            select(
                Message.id,
                Message.conversation_id,
                Message.sender_id,
                Message.kind,
                Message.body,
                Message.mentions,
                Conversation.kind,
                Conversation.name,
            )
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id.in_(message_ids), Message.sender_id.is_not(None))
        )
    ).all()
    if not rows:
        return []
    members: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for conversation_id, account_id, muted in await tx.session.execute(
        select(Member.conversation_id, Member.account_id, Member.muted).where(
            Member.conversation_id.in_({r[1] for r in rows}), Member.state == "active"
        )
    ):
        members[int(conversation_id)].append((int(account_id), bool(muted)))
    recipients = {a for r in rows for a, _ in members[r[1]] if a != r[2]}
    subscriptions = await _subscriptions(tx, recipients)
    wanting = {a for a in recipients if subscriptions.get(a)}
    names = await names_seen_by(
        tx,
        {a for a in wanting if any(s.previews for s in subscriptions[a])},
        {int(r[2]) for r in rows if r[2] is not None},
    )
    deliveries: list[Delivery] = []
    for message_id, conversation_id, sender_id, kind, body, mentions, chat_kind, chat_name in rows:
        for account_id, muted in members[conversation_id]:
            if account_id == sender_id or account_id not in wanting:
                continue
            mentioned = _mentions(mentions, account_id)
            if muted and not mentioned:
                continue
            alert = "chat_mention" if mentioned else "message"
            for subscription in subscriptions[account_id]:
                if subscription.door != "native" or alert not in _alerts(subscription):
                    continue
                language = subscription.language
                payload: dict[str, Any] = {
                    "kind": alert,
                    "conversation_id": str(conversation_id),
                    "message_id": str(message_id),
                    "url": f"/chats/{conversation_id}",
                    "tag": f"chat-{conversation_id}",
                    "title": words.APP[language],
                    "body": words.quiet(alert, language),
                }
                if subscription.previews:
                    name = names.get((account_id, sender_id))
                    said = (
                        words.picture(language)
                        if kind == "image"
                        else words.record(language)
                        if kind == "record"
                        else words.cut(body)
                    )
                    if chat_kind == "group":
                        payload["title"] = chat_name or words.APP[language]
                        payload["body"] = f"{name}: {said}" if name else said
                    else:
                        payload["title"] = name or words.APP[language]
                        payload["body"] = said
                deliveries.append((subscription.id, f"m{message_id}", payload))
    return deliveries


async def _follows(tx: Tx, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of (follower, followee) pairs are active follows."""
    if not pairs:
        return set()
    followers = {a for a, _ in pairs}
    found = await tx.session.execute(
        select(Follow.follower_id, Follow.followee_id).where(
            Follow.follower_id.in_(sorted(followers)), Follow.status == "active"
        )
    )
    return {(int(a), int(b)) for a, b in found} & pairs


async def notification_deliveries(tx: Tx, notification_ids: list[int]) -> list[Delivery]:
    """A push per notification to each of its account's devices that want that kind from
    that actor (the policy: everyone, people they follow, their followers, nobody). Mastodon
    apps get only the kinds Mastodon has, in its payload's shape."""
    rows = (
        await tx.session.scalars(
            select(Notification).where(
                Notification.id.in_(notification_ids), Notification.read.is_(False)
            )
        )
    ).all()
    if not rows:
        return []
    subscriptions = await _subscriptions(tx, {n.account_id for n in rows})
    actors = {n.actor_id for n in rows if n.actor_id is not None}
    names = await names_seen_by(
        tx, {n.account_id for n in rows if subscriptions.get(n.account_id)}, actors
    )
    pairs = {(n.account_id, n.actor_id) for n in rows if n.actor_id is not None}
    follows = await _follows(tx, pairs | {(b, a) for a, b in pairs})
    deliveries: list[Delivery] = []
    for n in rows:
        for subscription in subscriptions.get(n.account_id, ()):
            if n.kind not in _alerts(subscription):
                continue
            if subscription.door == "mastodon" and n.kind not in MASTODON_TYPES:
                continue
            actor = n.actor_id
            policy = subscription.policy
            if policy == "none" or (
                actor is not None
                and (
                    (policy == "followed" and (n.account_id, actor) not in follows)
                    or (policy == "follower" and (actor, n.account_id) not in follows)
                )
            ):
                continue
            language = subscription.language
            name = names.get((n.account_id, actor)) if actor is not None else None
            title = (
                words.titled(n.kind, name, language)
                if subscription.previews
                else words.APP[language]
            )
            body = "" if subscription.previews else words.quiet("notification", language)
            if subscription.door == "mastodon":
                payload: dict[str, Any] = {
                    "notification_id": str(n.id),
                    "notification_type": MASTODON_TYPES[n.kind],
                    "preferred_locale": language,
                    "title": title,
                    "body": body,
                    "kind": n.kind,
                }
            else:
                payload = {
                    "kind": n.kind,
                    "notification_id": str(n.id),
                    "url": "/me/notifications",
                    "tag": f"notification-{n.id}",
                    "title": title,
                    "body": body,
                }
            deliveries.append((subscription.id, f"n{n.id}", payload))
    return deliveries


JOBS: list[Callable[..., Any]] = [push_fanout, push_send]
