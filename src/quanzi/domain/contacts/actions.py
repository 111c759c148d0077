"""Writes on contacts: friend requests, friends, labels, follows, blocks.

Blocking is silent: the blocked person gets no notice; to them the blocker looks like an
account that does not exist (their requests, follows and profile views answer 404), and a
request they sent before is simply never shown.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy import and_, delete, func, or_, select, update

from quanzi.db.models import Account, Block, Contact, Follow, FriendRequest, Label, LabelMember
from quanzi.domain.accounts.cache import note_accounts_changed
from quanzi.domain.accounts.queries import access_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.checks import text_field
from quanzi.domain.contacts.queries import access_friend_request, access_label
from quanzi.domain.contacts.shapes import label_ids_of
from quanzi.domain.events import (
    CONTACT_ADDED,
    CONTACT_BLOCKED,
    CONTACT_REMOVED,
    CONTACT_UNBLOCKED,
    CONTACT_UPDATED,
    AccountRef,
)
from quanzi.domain.moments.actions import renew_photo_urls
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.ports import Limited
from quanzi.domain.relations import has_contact, is_blocked
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Invalid, NotFound
from quanzi.kit.ids import new_id

GREETING_MAX = 200
REMARK_MAX = 50
LABEL_NAME_MAX = 30

FRIEND_REQUEST = "friend_request"
FRIEND_ACCEPTED = "friend_accepted"


def _clean_remark(remark: str) -> str:
    return text_field(
        remark, field="remark", what="A remark", code="invalid_remark", max_len=REMARK_MAX
    )


async def _own_labels(tx: Tx, viewer_id: int, label_ids: list[int]) -> list[int]:
    if not label_ids:
        return []
    found = set(
        (
            await tx.session.execute(
                select(Label.id).where(Label.owner_id == viewer_id, Label.id.in_(label_ids))
            )
        ).scalars()
    )
    if found != set(label_ids):
        raise NotFound("No such label.")
    return sorted(found)


async def _target(tx: Tx, viewer: Principal, account_id: int) -> Account:
    """Someone the viewer acts on: visible to them, not themselves, not blocked by them."""
    if account_id == viewer.account_id:
        raise Invalid("That is you.", code="self")
    account = await access_account(tx, viewer, account_id)
    if await is_blocked(tx, viewer.account_id, account_id):
        raise Conflict("You blocked this account; unblock it first.", code="blocking")
    return account


# Friends


async def _add_contact(
    tx: Tx, owner_id: int, friend_id: int, remark: str, label_ids: list[int]
) -> bool:
    """Put `friend_id` in `owner_id`'s contacts (no-op if there). True if it was added."""
    if await has_contact(tx, owner_id, friend_id):
        return False
    count = await tx.session.scalar(
        select(func.count()).select_from(Contact).where(Contact.owner_id == owner_id)
    )
    if (count or 0) >= tx.settings.max_friends:
        raise Conflict(
            f"A contact list holds at most {tx.settings.max_friends} people.",
            code="too_many_friends",
        )
    tx.session.add(
        Contact(owner_id=owner_id, friend_id=friend_id, remark=remark, created_at=tx.now)
    )
    for label_id in label_ids:
        tx.session.add(LabelMember(label_id=label_id, friend_id=friend_id))
    await tx.session.flush()
    tx.emit(CONTACT_ADDED(AccountRef(account_id=friend_id), users=[owner_id]))
    return True


async def send_friend_request(
    services: Limited,
    viewer: Principal,
    to_id: int,
    *,
    greeting: str,
    remark: str = "",
    label_ids: list[int] | None = None,
) -> tuple[FriendRequest, bool]:
    """Ask to be friends, with a greeting. Returns the request and whether the two are friends
    now: at once when the other side needs no verification, already has the sender in their
    contacts, or had asked the sender first."""
    await services.limiter.hit(
        services.settings.rate_friend_request, "friend-request", str(viewer.account_id)
    )
    async with services.write() as tx:
        return await do_send_friend_request(
            tx, viewer, to_id, greeting=greeting, remark=remark, label_ids=label_ids or []
        )


async def do_send_friend_request(
    tx: Tx, viewer: Principal, to_id: int, *, greeting: str, remark: str, label_ids: list[int]
) -> tuple[FriendRequest, bool]:
    me = viewer.account_id
    target = await _target(tx, viewer, to_id)
    greeting = text_field(
        greeting,
        field="greeting",
        what="A greeting",
        code="invalid_greeting",
        max_len=GREETING_MAX,
        lines=True,
    )
    remark = _clean_remark(remark)
    labels = await _own_labels(tx, me, label_ids)
    mine = await has_contact(tx, me, to_id)
    theirs = await has_contact(tx, to_id, me)
    if mine and theirs:
        raise Conflict("You are friends already.", code="already_friends")

    request = (
        await tx.session.execute(
            select(FriendRequest).where(FriendRequest.from_id == me, FriendRequest.to_id == to_id)
        )
    ).scalar_one_or_none()
    if request is None:
        request = FriendRequest(id=new_id(), from_id=me, to_id=to_id, created_at=tx.now)
        tx.session.add(request)
    request.greeting = greeting
    request.remark = remark
    request.label_ids = orjson.dumps([str(i) for i in labels]).decode()
    request.status = "pending"
    request.updated_at = tx.now
    request.expires_at = tx.now + timedelta(days=tx.settings.friend_request_days)

    reverse = (
        await tx.session.execute(
            select(FriendRequest).where(
                FriendRequest.from_id == to_id,
                FriendRequest.to_id == me,
                FriendRequest.status == "pending",
                FriendRequest.expires_at > tx.now,
            )
        )
    ).scalar_one_or_none()
    if theirs or reverse is not None or not target.add_needs_verification:
        request.status = "accepted"
        await tx.session.flush()
        await _add_contact(tx, me, to_id, remark, labels)
        if reverse is not None:
            reverse.status = "accepted"
            reverse.updated_at = tx.now
            await _add_contact(
                tx, to_id, me, reverse.remark, await _still_own_labels(tx, to_id, reverse.label_ids)
            )
        else:
            await _add_contact(tx, to_id, me, "", [])
        if not theirs:
            await do_notify(
                tx,
                to_id,
                FRIEND_ACCEPTED,
                subject_id=request.id,
                actor_id=me,
                data={"request_id": str(request.id)},
            )
        return request, True
    await tx.session.flush()
    await do_notify(
        tx,
        to_id,
        FRIEND_REQUEST,
        subject_id=request.id,
        actor_id=me,
        data={"request_id": str(request.id), "greeting": greeting},
    )
    return request, False


async def _still_own_labels(tx: Tx, owner_id: int, raw: str) -> list[int]:
    """The labels a request asked for that the owner still has."""
    wanted = label_ids_of(raw)
    if not wanted:
        return []
    return sorted(
        (
            await tx.session.execute(
                select(Label.id).where(Label.owner_id == owner_id, Label.id.in_(wanted))
            )
        ).scalars()
    )


async def do_accept_friend_request(
    tx: Tx,
    viewer: Principal,
    request_id: int,
    *,
    remark: str = "",
    label_ids: list[int] | None = None,
) -> FriendRequest:
    me = viewer.account_id
    request = await access_friend_request(tx, viewer, request_id, incoming=True)
    if request.status != "pending" or request.expires_at <= tx.now:
        raise Conflict("This request is no longer pending.", code="request_not_pending")
    if await is_blocked(tx, me, request.from_id):
        raise Conflict("You blocked this account; unblock it first.", code="blocking")
    remark = _clean_remark(remark)
    labels = await _own_labels(tx, me, label_ids or [])
    request.status = "accepted"
    request.updated_at = tx.now
    await _add_contact(tx, me, request.from_id, remark, labels)
    await _add_contact(
        tx,
        request.from_id,
        me,
        request.remark,
        await _still_own_labels(tx, request.from_id, request.label_ids),
    )
    await do_notify(
        tx,
        request.from_id,
        FRIEND_ACCEPTED,
        subject_id=request.id,
        actor_id=me,
        data={"request_id": str(request.id)},
    )
    return request


async def do_decline_friend_request(tx: Tx, viewer: Principal, request_id: int) -> None:
    """Decline quietly: the sender is not told (and may ask again later)."""
    request = await access_friend_request(tx, viewer, request_id, incoming=True)
    if request.status != "pending":
        raise Conflict("This request is no longer pending.", code="request_not_pending")
    request.status = "declined"
    request.updated_at = tx.now


async def do_update_friend(
    tx: Tx,
    viewer: Principal,
    friend_id: int,
    *,
    remark: str | None,
    label_ids: list[int] | None,
) -> None:
    me = viewer.account_id
    contact = await tx.session.get(Contact, (me, friend_id))
    if contact is None:
        raise NotFound("That person is not in your contacts.")
    if remark is not None:
        contact.remark = _clean_remark(remark)
    if label_ids is not None:
        labels = await _own_labels(tx, me, label_ids)
        mine = select(Label.id).where(Label.owner_id == me).scalar_subquery()
        await tx.session.execute(
            delete(LabelMember).where(
                LabelMember.friend_id == friend_id, LabelMember.label_id.in_(mine)
            )
        )
        for label_id in labels:
            tx.session.add(LabelMember(label_id=label_id, friend_id=friend_id))
        await renew_photo_urls(tx, me)
    await tx.session.flush()
    tx.emit(CONTACT_UPDATED(AccountRef(account_id=friend_id), users=[me]))


async def do_remove_friend(tx: Tx, viewer: Principal, friend_id: int) -> None:
    """Remove someone from my contacts. One-sided, as WeChat: they keep me until they remove
    me too, but neither can message the other without a new request."""
    me = viewer.account_id
    removed = await tx.session.execute(
        delete(Contact)
        .where(Contact.owner_id == me, Contact.friend_id == friend_id)
        .returning(Contact.friend_id)
    )
    if removed.first() is None:
        raise NotFound("That person is not in your contacts.")
    mine = select(Label.id).where(Label.owner_id == me).scalar_subquery()
    await tx.session.execute(
        delete(LabelMember).where(
            LabelMember.friend_id == friend_id, LabelMember.label_id.in_(mine)
        )
    )
    await renew_photo_urls(tx, me)
    tx.emit(CONTACT_REMOVED(AccountRef(account_id=friend_id), users=[me]))


# Labels


def _clean_label(name: str) -> str:
    return text_field(
        name,
        field="name",
        what="A label name",
        code="invalid_label",
        min_len=1,
        max_len=LABEL_NAME_MAX,
    )


async def _check_label_name_free(tx: Tx, owner_id: int, name: str, but: int | None = None) -> None:
    query = select(Label.id).where(Label.owner_id == owner_id, Label.name == name)
    if but is not None:
        query = query.where(Label.id != but)
    if await tx.session.scalar(query) is not None:
        raise Conflict("You have a label with that name.", code="label_exists")


async def _set_label_members(
    tx: Tx, viewer: Principal, label: Label, member_ids: list[int]
) -> None:
    ids = sorted(set(member_ids))
    if ids:
        known = set(
            (
                await tx.session.execute(
                    select(Contact.friend_id).where(
                        Contact.owner_id == viewer.account_id, Contact.friend_id.in_(ids)
                    )
                )
            ).scalars()
        )
        if known != set(ids):
            raise Invalid(
                "Labels are for people in your contacts.",
                code="not_a_contact",
                details={"field": "member_ids"},
            )
    await tx.session.execute(delete(LabelMember).where(LabelMember.label_id == label.id))
    for friend_id in ids:
        tx.session.add(LabelMember(label_id=label.id, friend_id=friend_id))
    await tx.session.flush()


async def do_create_label(tx: Tx, viewer: Principal, name: str, member_ids: list[int]) -> Label:
    name = _clean_label(name)
    await _check_label_name_free(tx, viewer.account_id, name)
    label = Label(id=new_id(), owner_id=viewer.account_id, name=name, created_at=tx.now)
    tx.session.add(label)
    await tx.session.flush()
    await _set_label_members(tx, viewer, label, member_ids)
    return label


async def do_update_label(
    tx: Tx, viewer: Principal, label_id: int, *, name: str | None, member_ids: list[int] | None
) -> Label:
    label = await access_label(tx, viewer, label_id)
    if name is not None:
        name = _clean_label(name)
        await _check_label_name_free(tx, viewer.account_id, name, but=label.id)
        label.name = name
    if member_ids is not None:
        await _set_label_members(tx, viewer, label, member_ids)
        await renew_photo_urls(tx, viewer.account_id)
    await tx.session.flush()
    return label


async def do_delete_label(tx: Tx, viewer: Principal, label_id: int) -> None:
    label = await access_label(tx, viewer, label_id)
    await tx.session.execute(delete(LabelMember).where(LabelMember.label_id == label.id))
    await tx.session.delete(label)
    await renew_photo_urls(tx, viewer.account_id)


# Follows


async def _count_follows(tx: Tx, follower_id: int, followee_id: int, delta: int) -> None:
    await tx.session.execute(
        update(Account)
        .where(Account.id == follower_id)
        .values(following_count=Account.following_count + delta)
    )
    await tx.session.execute(
        update(Account)
        .where(Account.id == followee_id)
        .values(followers_count=Account.followers_count + delta)
    )
    note_accounts_changed(tx, follower_id, followee_id)


async def do_follow(tx: Tx, viewer: Principal, account_id: int) -> Follow:
    """Follow someone; a locked account must approve first (the follow stays pending)."""
    target = await _target(tx, viewer, account_id)
    me = viewer.account_id
    existing = (
        await tx.session.execute(
            select(Follow).where(Follow.follower_id == me, Follow.followee_id == account_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    follow = Follow(
        id=new_id(),
        follower_id=me,
        followee_id=account_id,
        status="pending" if target.locked else "active",
        created_at=tx.now,
    )
    tx.session.add(follow)
    await tx.session.flush()
    if follow.status == "active":
        await _count_follows(tx, me, account_id, +1)
        await do_notify(tx, account_id, "follow", subject_id=follow.id, actor_id=me)
    else:
        await do_notify(tx, account_id, "follow_request", subject_id=follow.id, actor_id=me)
    return follow


async def do_unfollow(tx: Tx, viewer: Principal, account_id: int) -> None:
    await _end_follow(tx, viewer.account_id, account_id)


async def _end_follow(tx: Tx, follower_id: int, followee_id: int) -> None:
    gone = (
        await tx.session.execute(
            delete(Follow)
            .where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
            .returning(Follow.status)
        )
    ).first()
    if gone is not None and gone.status == "active":
        await _count_follows(tx, follower_id, followee_id, -1)


async def _pending_follow_to_me(tx: Tx, viewer: Principal, follower_id: int) -> Follow:
    follow = (
        await tx.session.execute(
            select(Follow).where(
                Follow.follower_id == follower_id,
                Follow.followee_id == viewer.account_id,
                Follow.status == "pending",
            )
        )
    ).scalar_one_or_none()
    if follow is None:
        raise NotFound("No such follow request.")
    return follow


async def do_accept_follow(tx: Tx, viewer: Principal, follower_id: int) -> None:
    follow = await _pending_follow_to_me(tx, viewer, follower_id)
    follow.status = "active"
    await _count_follows(tx, follower_id, viewer.account_id, +1)
    await do_notify(
        tx, follower_id, "follow_accepted", subject_id=follow.id, actor_id=viewer.account_id
    )


async def do_decline_follow(tx: Tx, viewer: Principal, follower_id: int) -> None:
    follow = await _pending_follow_to_me(tx, viewer, follower_id)
    await tx.session.delete(follow)


async def do_remove_follower(tx: Tx, viewer: Principal, follower_id: int) -> None:
    await _end_follow(tx, follower_id, viewer.account_id)


# Blocks


async def do_block(tx: Tx, viewer: Principal, account_id: int) -> None:
    """Block someone, silently. Follows between the two end and pending friend requests are
    dropped; contacts stay (unblocking restores the friendship as it was, as on WeChat)."""
    me = viewer.account_id
    if account_id == me:
        raise Invalid("You cannot block yourself.", code="self")
    await access_account(tx, viewer, account_id)  # as missing: the gone, and who blocked me
    if await is_blocked(tx, me, account_id):
        return
    tx.session.add(Block(blocker_id=me, blocked_id=account_id, created_at=tx.now))
    await renew_photo_urls(tx, me)
    await _end_follow(tx, me, account_id)
    await _end_follow(tx, account_id, me)
    await tx.session.execute(
        update(FriendRequest)
        .where(
            FriendRequest.status == "pending",
            or_(
                and_(FriendRequest.from_id == me, FriendRequest.to_id == account_id),
                and_(FriendRequest.from_id == account_id, FriendRequest.to_id == me),
            ),
        )
        .values(status="declined", updated_at=tx.now)
    )
    await tx.session.flush()
    tx.emit(CONTACT_BLOCKED(AccountRef(account_id=account_id), users=[me]))


async def do_unblock(tx: Tx, viewer: Principal, account_id: int) -> None:
    removed = await tx.session.execute(
        delete(Block)
        .where(Block.blocker_id == viewer.account_id, Block.blocked_id == account_id)
        .returning(Block.blocked_id)
    )
    if removed.first() is None:
        raise NotFound("You have not blocked that account.")
    tx.emit(CONTACT_UNBLOCKED(AccountRef(account_id=account_id), users=[viewer.account_id]))


async def do_erase_contacts(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: every relation it had goes."""
    await tx.session.execute(
        delete(Contact).where(or_(Contact.owner_id == account_id, Contact.friend_id == account_id))
    )
    await tx.session.execute(delete(LabelMember).where(LabelMember.friend_id == account_id))
    labels = select(Label.id).where(Label.owner_id == account_id).scalar_subquery()
    await tx.session.execute(delete(LabelMember).where(LabelMember.label_id.in_(labels)))
    await tx.session.execute(delete(Label).where(Label.owner_id == account_id))
    await tx.session.execute(
        delete(FriendRequest).where(
            or_(FriendRequest.from_id == account_id, FriendRequest.to_id == account_id)
        )
    )
    for follower_id, followee_id in (
        await tx.session.execute(
            select(Follow.follower_id, Follow.followee_id).where(
                or_(Follow.follower_id == account_id, Follow.followee_id == account_id)
            )
        )
    ).all():
        await _end_follow(tx, follower_id, followee_id)
    await tx.session.execute(
        delete(Block).where(or_(Block.blocker_id == account_id, Block.blocked_id == account_id))
    )
