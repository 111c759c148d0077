"""Writes on chats other than sending: opening direct chats, managing groups, read cursors,
recall, per-member settings.

System and recall notices are appended as every message is (`append.py`), with the
conversation row locked (`access_conversation(..., lock=True)`); who may message whom is
`rules.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import Conversation, Media, Member, Message
from quanzi.domain.accounts.queries import access_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.append import append_message
from quanzi.domain.chat.queries import access_conversation, active_member_ids, total_unread
from quanzi.domain.chat.rules import may_message
from quanzi.domain.chat.views import (
    CONVERSATION_READ,
    CONVERSATION_UPDATED,
    MESSAGE_NEW,
    MessageRead,
    MessageRow,
    shown_version,
)
from quanzi.domain.checks import text_field
from quanzi.domain.media.claims import claim_one
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.relations import blocked_either_way, friends_among
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, Invalid, NotFound
from quanzi.kit.ids import new_id

NAME_MAX = 50
ANNOUNCEMENT_MAX = 2000


# Shared by every path that adds messages


async def system_message(
    tx: Tx, conv: Conversation, event: str, actor: int | None, **details: Any
) -> MessageRow:
    """A notice of what happened to the group (joins, leaves, renames), at the next seq."""
    body = {"event": event, "actor": str(actor) if actor else None, **details}
    return await append_message(
        tx, conv, sender_id=None, kind="system", body=orjson.dumps(body).decode()
    )


def announce(tx: Tx, messages: Iterable[MessageRow], members: list[int]) -> None:
    """Push messages to every active member's devices after commit."""
    urls = tx.media_urls
    for message in messages:
        tx.emit(MESSAGE_NEW, MessageRead.of(message, urls).model_dump(mode="json"), users=members)


def touched(
    tx: Tx, conv: Conversation, users: Iterable[int], *, version: int | None = None
) -> None:
    """Tell members' devices to refresh a conversation (settings, membership, name)."""
    tx.emit(
        CONVERSATION_UPDATED,
        {"conversation_id": str(conv.id), "version": str(version or conv.version)},
        users=list(users),
    )


def _group_member(conv: Conversation, me: Member) -> None:
    if conv.kind != "group":
        raise Invalid("That is a direct chat.", code="not_a_group")
    if me.state != "active":
        raise Forbidden("You are not a member of this group any more.", code="not_a_member")
    if conv.status != "active":
        raise Conflict("This group was dissolved.", code="conversation_dissolved")


def _manager(me: Member) -> None:
    if me.role not in ("owner", "admin"):
        raise Forbidden("Only the owner and administrators can do that.", code="not_an_admin")


def _owner(me: Member) -> None:
    if me.role != "owner":
        raise Forbidden("Only the owner can do that.", code="not_the_owner")


def _new_member(
    conv: Conversation,
    account_id: int,
    *,
    role: str,
    state: str,
    joined_seq: int,
    inviter: int | None,
    tx: Tx,
) -> Member:
    return Member(
        conversation_id=conv.id,
        account_id=account_id,
        role=role,
        state=state,
        joined_seq=joined_seq,
        left_seq=None,
        read_seq=joined_seq - 1,
        muted=False,
        pinned=False,
        inviter_id=inviter,
        version=new_id(),
        joined_at=tx.now,
    )


# Direct chats


async def do_open_direct(tx: Tx, viewer: Principal, other_id: int) -> Conversation:
    """The direct chat with someone, made on first use (one per pair). Opening it, new or not,
    asks what sending into it asks (`may_message`), so a chat handed out can be written in;
    someone who blocked the viewer is missing, as everywhere (`access_account`)."""
    if other_id == viewer.account_id:
        raise Invalid("That is you.", code="self")
    other = await access_account(tx, viewer, other_id)
    await may_message(tx, viewer.account_id, other.id)
    low, high = sorted((viewer.account_id, other_id))
    key = f"{low}:{high}"
    found = await tx.session.scalar(select(Conversation).where(Conversation.direct_key == key))
    if found is not None:
        return found
    conv = Conversation(
        id=new_id(),
        kind="direct",
        direct_key=key,
        name="",
        avatar_id=None,
        announcement="",
        owner_id=None,
        last_seq=0,
        member_count=2,
        status="active",
        version=new_id(),
        created_at=tx.now,
    )
    try:
        async with tx.session.begin_nested():
            tx.session.add(conv)
            await tx.session.flush()
            for account_id in (low, high):
                tx.session.add(
                    _new_member(
                        conv,
                        account_id,
                        role="member",
                        state="active",
                        joined_seq=1,
                        inviter=None,
                        tx=tx,
                    )
                )
            await tx.session.flush()
    except IntegrityError:  # opened at the same moment by the other side
        found = await tx.session.scalar(select(Conversation).where(Conversation.direct_key == key))
        if found is None:
            raise
        return found
    touched(tx, conv, [low, high])
    return conv


# Groups


def _clean_name(name: str) -> str:
    return text_field(
        name, field="name", what="A group name", code="invalid_name", max_len=NAME_MAX
    )


def _clean_announcement(text: str) -> str:
    return text_field(
        text,
        field="announcement",
        what="An announcement",
        code="invalid_announcement",
        max_len=ANNOUNCEMENT_MAX,
        lines=True,
    )


async def _invitable(tx: Tx, viewer: Principal, account_ids: Iterable[int]) -> list[int]:
    """People the viewer may bring into a group: their friends, visible and not blocked."""
    ids = sorted(set(account_ids) - {viewer.account_id})
    friends = await friends_among(tx, viewer.account_id, ids)
    for account_id in ids:
        if account_id not in friends or await blocked_either_way(tx, viewer.account_id, account_id):
            raise Invalid(
                "You can only add your friends to a group.",
                code="not_a_friend",
                details={"account_id": str(account_id)},
            )
    return ids


async def do_create_group(
    tx: Tx,
    viewer: Principal,
    *,
    name: str,
    member_ids: list[int],
    announcement: str = "",
    avatar_id: int | None = None,
) -> Conversation:
    name = _clean_name(name)
    announcement = _clean_announcement(announcement)
    others = await _invitable(tx, viewer, member_ids)
    if not others:
        raise Invalid("A group needs at least one other member.", code="too_few_members")
    if len(others) + 1 > tx.settings.group_max_members:
        raise Invalid(
            f"A group has at most {tx.settings.group_max_members} members.", code="group_full"
        )
    conv = Conversation(
        id=new_id(),
        kind="group",
        direct_key=None,
        name=name,
        avatar_id=await claim_one(
            tx, viewer.account_id, avatar_id, "group_avatar", field="avatar_id"
        ),
        announcement=announcement,
        owner_id=viewer.account_id,
        last_seq=0,
        member_count=len(others) + 1,
        status="active",
        version=new_id(),
        created_at=tx.now,
    )
    tx.session.add(conv)
    await tx.session.flush()
    tx.session.add(
        _new_member(
            conv, viewer.account_id, role="owner", state="active", joined_seq=1, inviter=None, tx=tx
        )
    )
    for account_id in others:
        tx.session.add(
            _new_member(
                conv,
                account_id,
                role="member",
                state="active",
                joined_seq=1,
                inviter=viewer.account_id,
                tx=tx,
            )
        )
    created = await system_message(
        tx, conv, "created", viewer.account_id, name=name, targets=[str(i) for i in others]
    )
    await tx.session.flush()
    members = [viewer.account_id, *others]
    touched(tx, conv, members)
    announce(tx, [created], members)
    return conv


async def do_update_group(
    tx: Tx,
    viewer: Principal,
    conversation_id: int,
    *,
    name: str | None = None,
    announcement: str | None = None,
    avatar_id: int | None = None,
    clear_avatar: bool = False,
) -> Conversation:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    _manager(me)
    notices = []
    if name is not None and _clean_name(name) != conv.name:
        conv.name = _clean_name(name)
        notices.append(await system_message(tx, conv, "renamed", viewer.account_id, name=conv.name))
    if announcement is not None and _clean_announcement(announcement) != conv.announcement:
        conv.announcement = _clean_announcement(announcement)
        notices.append(
            await system_message(
                tx, conv, "announcement", viewer.account_id, text=conv.announcement
            )
        )
    if avatar_id is not None or clear_avatar:
        replaced = conv.avatar_id
        conv.avatar_id = await claim_one(
            tx, viewer.account_id, avatar_id, "group_avatar", field="avatar_id"
        )
        if replaced is not None and replaced != conv.avatar_id:
            # the old picture goes back to its uploader alone (then is erased, media/sweep.py)
            # unless another group shows it too
            elsewhere = select(Conversation.id).where(
                Conversation.avatar_id == replaced, Conversation.id != conv.id
            )
            await tx.session.execute(
                update(Media)
                .where(Media.id == replaced, ~elsewhere.exists())
                .values(attached_to=None)
            )
        notices.append(await system_message(tx, conv, "avatar", viewer.account_id))
    conv.version = new_id()
    await tx.session.flush()
    members = await active_member_ids(tx, conv.id)
    touched(tx, conv, members)
    announce(tx, notices, members)
    return conv


async def do_invite(
    tx: Tx, viewer: Principal, conversation_id: int, account_ids: list[int]
) -> tuple[list[int], list[int]]:
    """Bring friends into a group. Small groups take them in at once; in a group larger than
    QUANZI_GROUP_INVITE_APPROVAL_ABOVE each invitee must accept. Returns (joined, invited)."""
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    wanted = await _invitable(tx, viewer, account_ids)
    existing = {
        m.account_id: m
        for m in (
            await tx.session.execute(
                select(Member).where(
                    Member.conversation_id == conv.id, Member.account_id.in_(wanted)
                )
            )
        ).scalars()
    }
    new = [a for a in wanted if a not in existing or existing[a].state in ("left", "removed")]
    if not new:
        return [], []
    if conv.member_count + len(new) > tx.settings.group_max_members:
        raise Conflict(
            f"A group has at most {tx.settings.group_max_members} members.", code="group_full"
        )
    needs_approval = conv.member_count + len(new) > tx.settings.group_invite_approval_above
    members_before = await active_member_ids(tx, conv.id)
    notices = []
    if needs_approval:
        for account_id in new:
            member = existing.get(account_id)
            if member is None:
                tx.session.add(
                    _new_member(
                        conv,
                        account_id,
                        role="member",
                        state="invited",
                        joined_seq=conv.last_seq + 1,
                        inviter=viewer.account_id,
                        tx=tx,
                    )
                )
            else:
                member.state, member.role, member.inviter_id = (
                    "invited",
                    "member",
                    viewer.account_id,
                )
                member.version = new_id()
            await do_notify(
                tx,
                account_id,
                "group_invite",
                subject_id=conv.id,
                actor_id=viewer.account_id,
                data={"conversation_id": str(conv.id), "name": conv.name},
            )
        await tx.session.flush()
        touched(tx, conv, new)
        return [], new
    notice = await system_message(
        tx, conv, "invited", viewer.account_id, targets=[str(a) for a in new]
    )
    notices.append(notice)
    for account_id in new:
        _join(tx, conv, existing.get(account_id), account_id, notice.seq, viewer.account_id)
    conv.member_count += len(new)
    await tx.session.flush()
    touched(tx, conv, new)
    announce(tx, notices, members_before + new)
    return new, []


def _join(
    tx: Tx,
    conv: Conversation,
    member: Member | None,
    account_id: int,
    from_seq: int,
    inviter: int | None,
) -> None:
    """Make someone an active member who sees messages from `from_seq` on (a member who
    comes back does not see what was said while they were away)."""
    if member is None:
        tx.session.add(
            _new_member(
                conv,
                account_id,
                role="member",
                state="active",
                joined_seq=from_seq,
                inviter=inviter,
                tx=tx,
            )
        )
        return
    member.state, member.role = "active", "member"
    member.joined_seq, member.left_seq, member.read_seq = from_seq, None, from_seq - 1
    member.inviter_id = inviter
    member.version = new_id()
    _keep_view(member, None)


async def do_answer_invitation(
    tx: Tx, viewer: Principal, conversation_id: int, accept: bool
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    if me.state != "invited":
        raise Conflict("There is no invitation to answer.", code="not_invited")
    if not accept:
        await tx.session.delete(me)
        return
    if conv.status != "active":
        raise Conflict("This group was dissolved.", code="conversation_dissolved")
    if conv.member_count + 1 > tx.settings.group_max_members:
        raise Conflict("The group is full.", code="group_full")
    notice = await system_message(
        tx, conv, "joined", viewer.account_id, inviter=str(me.inviter_id) if me.inviter_id else None
    )
    _join(tx, conv, me, viewer.account_id, notice.seq, me.inviter_id)
    conv.member_count += 1
    await tx.session.flush()
    members = await active_member_ids(tx, conv.id)
    touched(tx, conv, members)
    announce(tx, [notice], members)


def _leave(conv: Conversation, member: Member, state: str, last_seq: int) -> None:
    """End a membership at `last_seq`. Call it after the group's own changes of the same
    moment (its size, its status): the member keeps the group as it is then."""
    member.state = state
    member.left_seq = last_seq
    member.role = "member"
    member.version = new_id()
    _keep_view(member, conv)


def _view_kept(conv: Conversation | None) -> dict[str, Any]:
    """What a former member is shown of the group from now on (views.ConversationRead): it as
    it is at this moment. None: nothing (the member is back)."""
    return {
        "left_name": conv.name if conv else None,
        "left_announcement": conv.announcement if conv else None,
        "left_owner_id": conv.owner_id if conv else None,
        "left_member_count": conv.member_count if conv else None,
        "left_status": conv.status if conv else None,
    }


def _keep_view(member: Member, conv: Conversation | None) -> None:
    for column, value in _view_kept(conv).items():
        setattr(member, column, value)


async def do_remove_member(
    tx: Tx, viewer: Principal, conversation_id: int, account_id: int
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    _manager(me)
    target = await tx.session.get(Member, (conv.id, account_id))
    if target is None or target.state not in ("active", "invited") or account_id == me.account_id:
        raise NotFound("No such member.")
    if me.role == "admin" and target.role in ("owner", "admin"):
        raise Forbidden("Administrators can only remove members.", code="not_the_owner")
    members = await active_member_ids(tx, conv.id)
    if target.state == "invited":
        await tx.session.delete(target)
        touched(tx, conv, [account_id])
        return
    notice = await system_message(tx, conv, "removed", viewer.account_id, targets=[str(account_id)])
    conv.member_count -= 1
    _leave(conv, target, "removed", notice.seq)
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)  # the removed member sees that they were removed


async def do_leave(tx: Tx, viewer: Principal, conversation_id: int) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    if me.role == "owner" and conv.member_count > 1:
        raise Conflict(
            "Hand the group to someone else first, or dissolve it.", code="owner_must_transfer"
        )
    members = await active_member_ids(tx, conv.id)
    notice = await system_message(tx, conv, "left", viewer.account_id)
    conv.member_count -= 1
    if conv.member_count == 0:
        conv.status = "dissolved"
    _leave(conv, me, "left", notice.seq)
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)


async def do_set_role(
    tx: Tx, viewer: Principal, conversation_id: int, account_id: int, role: str
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    _owner(me)
    target = await tx.session.get(Member, (conv.id, account_id))
    if target is None or target.state != "active" or target.role == "owner":
        raise NotFound("No such member.")
    if role == target.role:
        return
    if role == "admin":
        admins = await tx.session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.conversation_id == conv.id, Member.role == "admin")
        )
        if (admins or 0) >= tx.settings.group_max_admins:
            raise Conflict(
                f"A group has at most {tx.settings.group_max_admins} administrators.",
                code="too_many_admins",
            )
    target.role = role
    target.version = new_id()
    notice = await system_message(
        tx,
        conv,
        "admin_added" if role == "admin" else "admin_removed",
        viewer.account_id,
        targets=[str(account_id)],
    )
    await tx.session.flush()
    members = await active_member_ids(tx, conv.id)
    touched(tx, conv, members)
    announce(tx, [notice], members)


async def do_transfer(tx: Tx, viewer: Principal, conversation_id: int, account_id: int) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    _owner(me)
    target = await tx.session.get(Member, (conv.id, account_id))
    if target is None or target.state != "active" or account_id == me.account_id:
        raise NotFound("No such member.")
    target.role, me.role = "owner", "member"
    target.version = me.version = new_id()
    conv.owner_id = account_id
    notice = await system_message(tx, conv, "owner", viewer.account_id, targets=[str(account_id)])
    await tx.session.flush()
    members = await active_member_ids(tx, conv.id)
    touched(tx, conv, members)
    announce(tx, [notice], members)


async def do_dissolve(tx: Tx, viewer: Principal, conversation_id: int) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    _group_member(conv, me)
    _owner(me)
    members = await active_member_ids(tx, conv.id)
    notice = await system_message(tx, conv, "dissolved", viewer.account_id)
    conv.status = "dissolved"
    await tx.session.execute(
        update(Member)
        .where(Member.conversation_id == conv.id, Member.state == "invited")
        .values(state="removed", left_seq=conv.last_seq, version=new_id(), **_view_kept(conv))
    )
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)


# A member's own settings and cursor


async def do_member_settings(
    tx: Tx, viewer: Principal, conversation_id: int, *, muted: bool | None, pinned: bool | None
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id)
    if muted is not None:
        me.muted = muted
    if pinned is not None:
        me.pinned = pinned
    me.version = new_id()
    await tx.session.flush()
    touched(tx, conv, [viewer.account_id], version=shown_version(conv, me))


async def do_mark_read(tx: Tx, viewer: Principal, conversation_id: int, seq: int) -> int:
    """Move my read cursor forward to `seq` (never back); returns my unread count after."""
    conv, me = await access_conversation(tx, viewer, conversation_id)
    last = conv.last_seq if me.left_seq is None else min(conv.last_seq, me.left_seq)
    target = min(seq, last)
    if target > me.read_seq:
        me.read_seq = target
        me.version = new_id()
        await tx.session.flush()
    total, counts = await total_unread(tx, viewer)
    unread = counts.get(conv.id, 0)
    tx.emit(
        CONVERSATION_READ,
        {
            "conversation_id": str(conv.id),
            "read_seq": me.read_seq,
            "unread": unread,
            "total_unread": total,
        },
        users=[viewer.account_id],
    )
    return unread


# Recall


async def do_recall(tx: Tx, viewer: Principal, conversation_id: int, seq: int) -> MessageRow:
    """Take back a message I sent, within QUANZI_RECALL_SECONDS. Its content is erased and a
    "recall" notice is appended, so every member, live or catching up, learns of it."""
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    if me.state != "active":
        raise Forbidden("You are not a member of this conversation any more.", code="not_a_member")
    message = await tx.session.scalar(
        select(Message).where(Message.conversation_id == conv.id, Message.seq == seq)
    )
    if message is None or message.seq < me.joined_seq:
        raise NotFound("No such message.")
    if message.sender_id != viewer.account_id or message.kind not in ("text", "image"):
        raise Forbidden("You can only recall your own messages.", code="not_yours")
    if (tx.now - message.created_at).total_seconds() > tx.settings.recall_seconds:
        raise Conflict("Too late to recall this message.", code="recall_window_passed")
    if message.media_id is not None:
        await tx.session.execute(
            update(Media).where(Media.id == message.media_id).values(attached_to=None)
        )
    message.kind, message.body, message.media_id, message.mentions = "recalled", "", None, ""
    message.recalled_at = tx.now
    notice = await append_message(
        tx,
        conv,
        sender_id=viewer.account_id,
        kind="recall",
        body=orjson.dumps({"event": "recall"}).decode(),
        reply_to_seq=seq,
    )
    await tx.session.flush()
    announce(tx, [notice], await active_member_ids(tx, conv.id))
    return notice


async def do_erase_chats(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: its messages lose their content (the conversation keeps its
    sequence, and the others see a message that is gone), and it leaves every conversation."""
    await tx.session.execute(
        update(Message)
        .where(Message.sender_id == account_id, Message.kind.in_(("text", "image")))
        .values(kind="recalled", body="", media_id=None, mentions="", recalled_at=tx.now)
    )
    memberships = (
        await tx.session.execute(select(Member).where(Member.account_id == account_id))
    ).scalars()
    for member in memberships:
        conv = await tx.session.get(Conversation, member.conversation_id)
        if conv is not None and member.state in ("active", "invited"):
            if member.state == "active":
                conv.member_count -= 1
                conv.version = new_id()
            _leave(conv, member, "left", conv.last_seq)
        member.state, member.role = "left", "member"
        member.version = new_id()
        if conv is not None and conv.owner_id == account_id:
            await _hand_over(tx, conv, account_id)


async def _hand_over(tx: Tx, conv: Conversation, leaving: int) -> None:
    """A group whose owner is gone goes to an administrator, else to its longest member."""
    heir = await tx.session.scalar(
        select(Member)
        .where(
            Member.conversation_id == conv.id,
            Member.state == "active",
            Member.account_id != leaving,
        )
        .order_by((Member.role == "admin").desc(), Member.joined_at, Member.account_id)
        .limit(1)
    )
    conv.owner_id = heir.account_id if heir is not None else None
    if heir is not None:
        heir.role = "owner"
        heir.version = new_id()
    else:
        conv.status = "dissolved"
