"""Who stands how to whom: the relationship facts every area's rules are built from.

Kept apart from the contacts actions so that accounts, chats, Moments and the square can ask
these questions without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select

from quanzi.db.models import Block, Contact
from quanzi.domain.tx import Tx


async def is_blocked(tx: Tx, blocker_id: int, blocked_id: int) -> bool:
    """Has `blocker_id` blocked `blocked_id`?"""
    found = await tx.session.scalar(
        select(Block.blocker_id).where(
            Block.blocker_id == blocker_id, Block.blocked_id == blocked_id
        )
    )
    return found is not None


async def blocked_either_way(tx: Tx, a: int, b: int) -> bool:
    found = await tx.session.scalar(
        select(Block.blocker_id)
        .where(
            or_(
                and_(Block.blocker_id == a, Block.blocked_id == b),
                and_(Block.blocker_id == b, Block.blocked_id == a),
            )
        )
        .limit(1)
    )
    return found is not None


async def has_contact(tx: Tx, owner_id: int, friend_id: int) -> bool:
    """Does `owner_id` have `friend_id` in their contacts?"""
    found = await tx.session.scalar(
        select(Contact.owner_id).where(Contact.owner_id == owner_id, Contact.friend_id == friend_id)
    )
    return found is not None


async def are_friends(tx: Tx, a: int, b: int) -> bool:
    """Mutual friends: each has the other in their contacts."""
    rows = (
        await tx.session.execute(
            select(Contact.owner_id).where(
                or_(
                    and_(Contact.owner_id == a, Contact.friend_id == b),
                    and_(Contact.owner_id == b, Contact.friend_id == a),
                )
            )
        )
    ).all()
    return len(rows) == 2


async def friends_among(tx: Tx, owner_id: int, candidates: Iterable[int]) -> set[int]:
    """Which of `candidates` are mutual friends of `owner_id`."""
    ids = list(set(candidates))
    if not ids:
        return set()
    mine = select(Contact.friend_id).where(Contact.owner_id == owner_id, Contact.friend_id.in_(ids))
    theirs = select(Contact.owner_id).where(
        Contact.friend_id == owner_id, Contact.owner_id.in_(ids)
    )
    a = set((await tx.session.execute(mine)).scalars())
    b = set((await tx.session.execute(theirs)).scalars())
    return a & b


async def blocked_among(tx: Tx, account_id: int, others: Iterable[int]) -> set[int]:
    """Which of `others` have a block with `account_id`, in either direction."""
    ids = list(set(others))
    if not ids:
        return set()
    rows = await tx.session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(
                and_(Block.blocker_id == account_id, Block.blocked_id.in_(ids)),
                and_(Block.blocked_id == account_id, Block.blocker_id.in_(ids)),
            )
        )
    )
    return {b if a == account_id else a for a, b in rows.all()}
