"""Reading chats: who may see a conversation, which messages, what changed since."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, and_, func, or_, select

from quanzi.db.keyed import KeyedSelect
from quanzi.db.models import Account, Conversation, Member, Message
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.chat.shapes import FORMER, ConversationRead, MemberRead, MessageRow
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.ids import id_at, time_of

MAX_MESSAGES = 500
S = TypeVar("S", bound=Select[*tuple[Any, ...]])
_MESSAGES = cast(Table, Message.__table__)
_LAST_MESSAGES_Q = KeyedSelect(select(_MESSAGES), (_MESSAGES.c.conversation_id, _MESSAGES.c.seq))
SYNC_OVERLAP = timedelta(seconds=10)  # covers transactions that commit after a sync read
COUNTED_KINDS = ("text", "image", "record")  # what unread counts count
MENTION_ALL = '"all"'  # how Message.mentions stores an @all (a JSON list of id strings else)


async def access_conversation(
    tx: Tx, viewer: Principal, conversation_id: int, *, lock: bool = False
) -> tuple[Conversation, Member]:
    """The conversation and the viewer's membership; NotFound unless the viewer is or was a
    member (the same answer for an existing conversation as for a missing one).
    `lock` takes the row lock that appending a message needs (PostgreSQL)."""
    query = (
        select(Conversation, Member)
        .join(Member, Member.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, Member.account_id == viewer.account_id)
    )
    if lock:
        query = query.with_for_update(of=Conversation)
    row = (await tx.session.execute(query)).first()
    if row is None:
        raise NotFound("No such conversation.")
    return row[0], row[1]


def visible_range(conv: Conversation, me: Member) -> tuple[int, int]:
    """The seqs a member may read: from when they joined to when they left (or now)."""
    last = conv.last_seq if me.left_seq is None else min(conv.last_seq, me.left_seq)
    return me.joined_seq, last


async def list_messages(
    tx: Tx,
    viewer: Principal,
    conversation_id: int,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> tuple[Conversation, Member, list[Message]]:
    """Messages in seq order: after `after_seq` (catching up, oldest first), or before
    `before_seq` (scrolling back), or the newest ones. Only what the viewer may read."""
    conv, me = await access_conversation(tx, viewer, conversation_id)
    if me.state == "invited":
        return conv, me, []
    low, high = visible_range(conv, me)
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.seq >= low, Message.seq <= high
    )
    limit = max(1, min(limit, MAX_MESSAGES))
    if after_seq is not None:
        rows = await tx.session.execute(
            query.where(Message.seq > after_seq).order_by(Message.seq).limit(limit)
        )
        return conv, me, list(rows.scalars())
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    rows = await tx.session.execute(query.order_by(Message.seq.desc()).limit(limit))
    return conv, me, list(reversed(list(rows.scalars())))


async def quoted_messages(
    tx: Tx, viewer: Principal, conversation_id: int, seqs: Collection[int]
) -> dict[int, Message]:
    """The messages that replies quote (by seq), those of them the viewer may read: a quote of
    something sent before they joined (or after they left) shows nothing of it."""
    conv, me = await access_conversation(tx, viewer, conversation_id)
    wanted = sorted(set(seqs))[:MAX_MESSAGES]
    if not wanted or me.state == "invited":
        return {}
    low, high = visible_range(conv, me)
    rows = await tx.session.execute(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.seq.in_(wanted),
            Message.seq >= low,
            Message.seq <= high,
        )
    )
    return {m.seq: m for m in rows.scalars()}


async def access_message(tx: Tx, viewer: Principal, conversation_id: int, seq: int) -> Message:
    """A message with words or a picture that the viewer may read (to forward it); NotFound
    for a missing one, one they may not read, a notice or a recalled message alike."""
    message = (await quoted_messages(tx, viewer, conversation_id, [seq])).get(seq)
    if message is None or message.kind not in COUNTED_KINDS:
        raise NotFound("No such message.")
    return message


def _unread(query: S, account_id: int, conversation_ids: list[int]) -> S:
    """`query` over the messages of these conversations that the member has not read: after
    their read cursor, sent by someone else, that they may read (system notices do not
    count)."""
    return query.join(
        Message,
        and_(
            Message.conversation_id == Member.conversation_id,
            Message.seq > Member.read_seq,
            Message.seq >= Member.joined_seq,
        ),
    ).where(
        Member.account_id == account_id,
        Member.conversation_id.in_(conversation_ids),
        Member.state != "invited",
        or_(Member.left_seq.is_(None), Message.seq <= Member.left_seq),
        or_(Message.sender_id.is_(None), Message.sender_id != account_id),
        Message.kind.in_(COUNTED_KINDS),
    )


async def unread_mentions(tx: Tx, viewer: Principal, conversation_ids: list[int]) -> set[int]:
    """The conversations with an unread message that mentions the viewer (by name or with
    @all): the chat list's "[@me]", until they have read it."""
    if not conversation_ids:
        return set()
    me = viewer.account_id
    query = _unread(select(Member.conversation_id), me, conversation_ids).where(
        or_(Message.mentions == MENTION_ALL, Message.mentions.contains(f'"{me}"'))
    )
    return {int(cid) for cid in (await tx.session.execute(query.distinct())).scalars()}


async def unread_counts(tx: Tx, account_id: int, conversation_ids: list[int]) -> dict[int, int]:
    """Per conversation: messages after the read cursor, not sent by the member, that they may
    read (system notices do not count)."""
    if not conversation_ids:
        return {}
    query = _unread(
        select(Member.conversation_id, func.count(Message.id)), account_id, conversation_ids
    ).group_by(Member.conversation_id)
    return {cid: int(n) for cid, n in (await tx.session.execute(query)).all()}


async def total_unread(tx: Tx, viewer: Principal) -> tuple[int, dict[int, int]]:
    """Unread messages over all my conversations (muted ones are listed but not totalled)."""
    rows = (
        await tx.session.execute(
            select(Member.conversation_id, Member.muted).where(
                Member.account_id == viewer.account_id,
                Member.state.in_(("active", "left", "removed")),
            )
        )
    ).all()
    counts = await unread_counts(tx, viewer.account_id, [cid for cid, _ in rows])
    muted = {cid for cid, m in rows if m}
    return sum(n for cid, n in counts.items() if cid not in muted), counts


async def list_conversations(
    tx: Tx, viewer: Principal, *, changed_since: int | None = None
) -> list[ConversationRead]:
    """My conversations, newest activity first; with `changed_since` (a `version` or a
    `sync_version` from an earlier answer) only those that changed after it, with a margin so
    that nothing committed late is missed. Clients apply what they get by seq, so repeats are
    harmless. What changes in a group after one left it is not a change for them."""
    query = (
        select(Conversation, Member)
        .join(Member, Member.conversation_id == Conversation.id)
        .where(Member.account_id == viewer.account_id)
    )
    if changed_since is not None:
        since = id_at(time_of(changed_since) - SYNC_OVERLAP)
        query = query.where(
            or_(
                Member.version > since,
                and_(Member.state.not_in(FORMER), Conversation.version > since),
            )
        )
    rows = (await tx.session.execute(query)).all()
    return await _render(tx, viewer, [(c, m) for c, m in rows])


async def get_conversation(tx: Tx, viewer: Principal, conversation_id: int) -> ConversationRead:
    conv, me = await access_conversation(tx, viewer, conversation_id)
    return (await _render(tx, viewer, [(conv, me)]))[0]


async def _render(
    tx: Tx, viewer: Principal, rows: list[tuple[Conversation, Member]]
) -> list[ConversationRead]:
    me_id = viewer.account_id
    ids = [c.id for c, _ in rows]
    counts = await unread_counts(tx, me_id, ids)
    last_keys = [(c.id, visible_range(c, m)[1]) for c, m in rows if m.state != "invited"]
    last_messages: dict[int, MessageRow] = {}
    if last_keys:
        conn = await tx.connection()
        last_messages = {
            row.conversation_id: MessageRow(**row._mapping)
            for row in await _LAST_MESSAGES_Q.rows(conn, last_keys)
        }
    peers: dict[int, int] = {}
    direct = [c.id for c, _ in rows if c.kind == "direct"]
    if direct:
        found_peers = await tx.session.execute(
            select(Member.conversation_id, Member.account_id).where(
                Member.conversation_id.in_(direct), Member.account_id != me_id
            )
        )
        peers = {int(cid): int(aid) for cid, aid in found_peers.all()}
    urls = tx.media_urls
    out = []
    for conv, me in rows:
        peer = await load_account_row(tx, peers[conv.id]) if conv.id in peers else None
        out.append(
            ConversationRead.of(
                conv,
                me,
                urls=urls,
                peer=peer,
                unread=counts.get(conv.id, 0),
                last_message=last_messages.get(conv.id),
            )
        )
    out.sort(key=lambda c: c.version, reverse=True)
    return out


async def list_members(tx: Tx, viewer: Principal, conversation_id: int) -> list[MemberRead]:
    conv, me = await access_conversation(tx, viewer, conversation_id)
    if me.state != "active":
        raise NotFound("No such conversation.")
    rows = (
        await tx.session.execute(
            select(Member, Account)
            .join(Account, Account.id == Member.account_id)
            .where(Member.conversation_id == conv.id, Member.state.in_(("active", "invited")))
            .order_by(Member.joined_at)
        )
    ).all()
    urls = tx.media_urls
    return [
        MemberRead(
            account=AccountPublic.of(account, urls),
            role=member.role,
            state=member.state,
            joined_at=member.joined_at,
        )
        for member, account in rows
    ]


async def active_member_ids(tx: Tx, conversation_id: int) -> list[int]:
    rows = await tx.session.execute(
        select(Member.account_id).where(
            Member.conversation_id == conversation_id, Member.state == "active"
        )
    )
    return list(rows.scalars())
