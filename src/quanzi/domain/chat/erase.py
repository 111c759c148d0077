"""Erasing an account's part of the chats."""

from __future__ import annotations

from sqlalchemy import select, update

from quanzi.db.models import Conversation, Member, Message
from quanzi.domain.chat.membership import end_membership
from quanzi.domain.chat.queries import COUNTED_KINDS
from quanzi.domain.tx import Tx
from quanzi.kit.ids import new_id


async def do_erase_chats(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: its messages lose their content (the conversation keeps its
    sequence, and the others see a message that is gone), and it leaves every conversation."""
    await tx.session.execute(
        update(Message)
        .where(Message.sender_id == account_id, Message.kind.in_(COUNTED_KINDS))
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
            end_membership(conv, member, "left", conv.last_seq)
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
