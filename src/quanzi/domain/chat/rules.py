"""Who may message whom in a direct chat: the one rule, batched. Sending (`send.py`) asks it
for every pair of a batch at once; opening a direct chat (`conversations.do_open_direct`) asks it
for one pair, through `may_message`.

Friends (mutual) may; others only if the recipient allows strangers. A block refuses: the
blocker is told to unblock first, the blocked gets the same answer as a stranger and is not
told why. A recipient who is not active is as a stranger who allows none.
"""

from __future__ import annotations

from sqlalchemy import select

from quanzi.db.keyed import KeyedSelect
from quanzi.db.models import Block, Contact
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, QuanziError

_BLOCKS_Q = KeyedSelect(
    select(Block.blocker_id, Block.blocked_id), (Block.blocker_id, Block.blocked_id)
)
_CONTACTS_Q = KeyedSelect(
    select(Contact.owner_id, Contact.friend_id), (Contact.owner_id, Contact.friend_id)
)


def cannot_message() -> Forbidden:
    """The answer for a direct message that may not be sent: the same for a stranger and for
    someone who blocked the sender, who is not told why."""
    return Forbidden(
        "You can only message friends here; send a friend request first.", code="cannot_message"
    )


async def direct_refusals(
    tx: Tx, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], QuanziError | None]:
    """For each (sender, recipient): None if the sender may message the recipient, else the
    error that refuses it. Two queries for all the pairs (and the recipients' accounts from
    the account cache)."""
    if not pairs:
        return {}
    both = sorted(pairs | {(b, a) for a, b in pairs})
    conn = await tx.connection()
    blocks: set[tuple[int, int]] = {(a, b) for a, b in await _BLOCKS_Q.rows(conn, both)}
    contacts: set[tuple[int, int]] = {(a, b) for a, b in await _CONTACTS_Q.rows(conn, both)}
    answers: dict[tuple[int, int], QuanziError | None] = {}
    for sender, recipient in pairs:
        row = await load_account_row(tx, recipient)
        if (sender, recipient) in blocks:
            answers[(sender, recipient)] = Conflict(
                "You blocked this account; unblock it first.", code="blocking"
            )
        elif (
            row is None
            or row.status != "active"
            or (recipient, sender) in blocks
            or not (row.allow_strangers or {(sender, recipient), (recipient, sender)} <= contacts)
        ):
            answers[(sender, recipient)] = cannot_message()
        else:
            answers[(sender, recipient)] = None
    return answers


async def may_message(tx: Tx, sender_id: int, recipient_id: int) -> None:
    """`direct_refusals` for one pair: raises what refuses it."""
    refused = (await direct_refusals(tx, {(sender_id, recipient_id)}))[(sender_id, recipient_id)]
    if refused is not None:
        raise refused
