"""Who is in a group and in which role: the guards of group changes, inviting and answering
an invitation, removing, leaving, roles and handing the group over, and a member's own
settings.

Every change locks the conversation row (`access_conversation(..., lock=True)`) and is told to
the members as a system notice (`notices.py`). A member who goes keeps, on their row, the group
as it was then (`view_kept`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from quanzi.db.models import Conversation, Member
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.notices import announce, system_message, touched
from quanzi.domain.chat.queries import access_conversation, active_member_ids
from quanzi.domain.chat.shapes import shown_version
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.relations import blocked_either_way, friends_among
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, Invalid, NotFound
from quanzi.kit.ids import new_id


def require_group_member(conv: Conversation, me: Member) -> None:
    if conv.kind != "group":
        raise Invalid("That is a direct chat.", code="not_a_group")
    if me.state != "active":
        raise Forbidden("You are not a member of this group any more.", code="not_a_member")
    if conv.status != "active":
        raise Conflict("This group was dissolved.", code="conversation_dissolved")


def require_manager(me: Member) -> None:
    if me.role not in ("owner", "admin"):
        raise Forbidden("Only the owner and administrators can do that.", code="not_an_admin")


def require_owner(me: Member) -> None:
    if me.role != "owner":
        raise Forbidden("Only the owner can do that.", code="not_the_owner")


def new_member(
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


async def invitable(tx: Tx, viewer: Principal, account_ids: Iterable[int]) -> list[int]:
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


async def do_invite(
    tx: Tx, viewer: Principal, conversation_id: int, account_ids: list[int]
) -> tuple[list[int], list[int]]:
    """Bring friends into a group. Small groups take them in at once; in a group larger than
    QUANZI_GROUP_INVITE_APPROVAL_ABOVE each invitee must accept. Returns (joined, invited)."""
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    require_group_member(conv, me)
    wanted = await invitable(tx, viewer, account_ids)
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
                    new_member(
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
            new_member(
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


def end_membership(conv: Conversation, member: Member, state: str, last_seq: int) -> None:
    """End a membership at `last_seq`. Call it after the group's own changes of the same
    moment (its size, its status): the member keeps the group as it is then."""
    member.state = state
    member.left_seq = last_seq
    member.role = "member"
    member.version = new_id()
    _keep_view(member, conv)


def view_kept(conv: Conversation | None) -> dict[str, Any]:
    """What a former member is shown of the group from now on (shapes.ConversationRead): it as
    it is at this moment. None: nothing (the member is back)."""
    return {
        "left_name": conv.name if conv else None,
        "left_announcement": conv.announcement if conv else None,
        "left_owner_id": conv.owner_id if conv else None,
        "left_member_count": conv.member_count if conv else None,
        "left_status": conv.status if conv else None,
    }


def _keep_view(member: Member, conv: Conversation | None) -> None:
    for column, value in view_kept(conv).items():
        setattr(member, column, value)


async def do_remove_member(
    tx: Tx, viewer: Principal, conversation_id: int, account_id: int
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    require_group_member(conv, me)
    require_manager(me)
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
    end_membership(conv, target, "removed", notice.seq)
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)  # the removed member sees that they were removed


async def do_leave(tx: Tx, viewer: Principal, conversation_id: int) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    require_group_member(conv, me)
    if me.role == "owner" and conv.member_count > 1:
        raise Conflict(
            "Hand the group to someone else first, or dissolve it.", code="owner_must_transfer"
        )
    members = await active_member_ids(tx, conv.id)
    notice = await system_message(tx, conv, "left", viewer.account_id)
    conv.member_count -= 1
    if conv.member_count == 0:
        conv.status = "dissolved"
    end_membership(conv, me, "left", notice.seq)
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)


async def do_set_role(
    tx: Tx, viewer: Principal, conversation_id: int, account_id: int, role: str
) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    require_group_member(conv, me)
    require_owner(me)
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
    require_group_member(conv, me)
    require_owner(me)
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


# A member's own settings


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
