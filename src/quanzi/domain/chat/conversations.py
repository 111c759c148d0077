"""Making and changing conversations: the direct chat of a pair (made on first use), creating
a group, renaming it (name, announcement, picture) and dissolving it.

Membership within a group (invitations, roles, leaving) is `membership.py`; who may message
whom, `rules.py`.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import Conversation, Media, Member
from quanzi.domain.accounts.queries import access_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.membership import (
    invitable,
    new_member,
    require_group_member,
    require_manager,
    require_owner,
    view_kept,
)
from quanzi.domain.chat.notices import announce, system_message, touched
from quanzi.domain.chat.queries import access_conversation, active_member_ids
from quanzi.domain.chat.rules import may_message
from quanzi.domain.checks import text_field
from quanzi.domain.media.claims import claim_one
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid
from quanzi.kit.ids import new_id

NAME_MAX = 50
ANNOUNCEMENT_MAX = 2000


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
                    new_member(
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
    others = await invitable(tx, viewer, member_ids)
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
        new_member(
            conv, viewer.account_id, role="owner", state="active", joined_seq=1, inviter=None, tx=tx
        )
    )
    for account_id in others:
        tx.session.add(
            new_member(
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
    require_group_member(conv, me)
    require_manager(me)
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


async def do_dissolve(tx: Tx, viewer: Principal, conversation_id: int) -> None:
    conv, me = await access_conversation(tx, viewer, conversation_id, lock=True)
    require_group_member(conv, me)
    require_owner(me)
    members = await active_member_ids(tx, conv.id)
    notice = await system_message(tx, conv, "dissolved", viewer.account_id)
    conv.status = "dissolved"
    await tx.session.execute(
        update(Member)
        .where(Member.conversation_id == conv.id, Member.state == "invited")
        .values(state="removed", left_seq=conv.last_seq, version=new_id(), **view_kept(conv))
    )
    await tx.session.flush()
    touched(tx, conv, members)
    announce(tx, [notice], members)
