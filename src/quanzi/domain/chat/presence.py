"""Ephemeral signals: typing. They travel on the bus only and are never stored, and they
honour the account's "show presence" privacy setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.queries import access_conversation, active_member_ids
from quanzi.domain.chat.views import TYPING
from quanzi.errors import NotFound
from quanzi.realtime.events import Event

if TYPE_CHECKING:
    from quanzi.services import Services


async def announce_typing(services: Services, viewer: Principal, conversation_id: int) -> None:
    async with services.read() as tx:
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
    payload = {"conversation_id": str(conversation_id), "account_id": str(viewer.account_id)}
    await services.bus.publish([Event(TYPING, payload, tuple(others))])
