"""Ephemeral signals: typing and online presence. They travel on the bus only and are never
stored in the database, and they honour the account's "show presence" privacy setting: only
mutual friends with no block between them learn that someone is online, and nobody learns it
of someone who hides it.

This is the rule; the mechanism, which accounts have a socket open on some process (counted
per process, shared through Redis when there is one), is realtime/presence.py, handed to
`Presence` by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from quanzi.db.models import Contact
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.queries import access_conversation, active_member_ids
from quanzi.domain.events import PRESENCE, TYPING, PresenceChange, TypingNotice
from quanzi.domain.relations import blocked_among, friends_among
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound

if TYPE_CHECKING:
    from quanzi.realtime.bus import Bus

Reader = Callable[[], AbstractAsyncContextManager[Tx]]  # opens a read transaction


async def announce_typing(read: Reader, bus: Bus, viewer: Principal, conversation_id: int) -> None:
    """Tell the other active members that `viewer` is typing (if they show their presence)."""
    async with read() as tx:
        try:
            conv, me = await access_conversation(tx, viewer, conversation_id)
        except NotFound:
            return
        if me.state != "active" or conv.status != "active":
            return
        row = await load_account_row(tx, viewer.account_id)
        if row is None or not row.show_presence:
            return
        others = [a for a in await active_member_ids(tx, conv.id) if a != viewer.account_id]
    notice = TypingNotice(conversation_id=conversation_id, account_id=viewer.account_id)
    await bus.publish([TYPING(notice, users=others)])


class Online(Protocol):
    """The mechanism (realtime/presence.Online): who has a socket open on some process."""

    async def connected(self, account_id: int) -> bool: ...

    async def disconnected(self, account_id: int) -> bool: ...

    async def online_among(self, account_ids: list[int]) -> set[int]: ...


class Presence:
    """Who is online, as friends may see it: `read` opens a read transaction
    (`Services.read`), `bus` carries the signals to friends, `online` is the mechanism."""

    def __init__(self, read: Reader, bus: Bus, online: Online) -> None:
        self._read = read
        self._bus = bus
        self.online = online

    async def connected(self, account_id: int) -> None:
        if await self.online.connected(account_id):
            await self._tell_friends(account_id, online=True)

    async def disconnected(self, account_id: int) -> None:
        if await self.online.disconnected(account_id):
            await self._tell_friends(account_id, online=False)

    async def _tell_friends(self, account_id: int, *, online: bool) -> None:
        async with self._read() as tx:
            row = await load_account_row(tx, account_id)
            if row is None or not row.show_presence:
                return
            theirs = select(Contact.owner_id).where(Contact.friend_id == account_id)
            candidates = list((await tx.session.execute(theirs)).scalars())
            friends = await friends_among(tx, account_id, candidates)
            friends -= await blocked_among(tx, account_id, friends)
        if friends:
            change = PresenceChange(account_id=account_id, online=online)
            await self._bus.publish([PRESENCE(change, users=friends)])


async def presence_of(
    read: Reader, presence: Presence, viewer: Principal, account_ids: list[int]
) -> dict[int, bool]:
    """Online or not, for those of `account_ids` who are my mutual friends (no block between
    us) and show it."""
    async with read() as tx:
        friends = await friends_among(tx, viewer.account_id, account_ids)
        friends -= await blocked_among(tx, viewer.account_id, friends)
        shown = []
        for account_id in friends:
            row = await load_account_row(tx, account_id)
            if row is not None and row.show_presence:
                shown.append(account_id)
    online = await presence.online.online_among(shown)
    return {a: a in online for a in shown}
