"""Reading contacts, requests, labels, follows and blocks."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, or_, select

from quanzi.db.models import (
    Account,
    Block,
    Contact,
    Follow,
    FriendRequest,
    Label,
    LabelMember,
)
from quanzi.db.paginate import window_query
from quanzi.db.search import match, parts
from quanzi.domain.accounts.queries import access_account, lookup_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.contacts.shapes import FriendRead, Relationship
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.pagination import Page, Window
from quanzi.kit.text import clean_line, handle_prefix_key
from quanzi.kit.words import query_terms

ACCOUNTS = cast(Table, Account.__table__)


async def list_friends(tx: Tx, viewer: Principal, only: int | None = None) -> list[FriendRead]:
    """All my contacts (or just `only`) with remarks, labels and whether they have me too."""
    me = viewer.account_id
    query = (
        select(Contact, Account)
        .join(Account, Account.id == Contact.friend_id)
        .where(Contact.owner_id == me, Account.status == "active")
        .order_by(Contact.created_at)
    )
    if only is not None:
        query = query.where(Contact.friend_id == only)
    rows = (await tx.session.execute(query)).all()
    ids = [account.id for _, account in rows]
    labels: dict[int, list[int]] = defaultdict(list)
    mutual: set[int] = set()
    if ids:
        for label_id, friend_id in await tx.session.execute(
            select(LabelMember.label_id, LabelMember.friend_id)
            .join(Label, Label.id == LabelMember.label_id)
            .where(Label.owner_id == me, LabelMember.friend_id.in_(ids))
        ):
            labels[friend_id].append(label_id)
        mutual = set(
            (
                await tx.session.execute(
                    select(Contact.owner_id).where(
                        Contact.friend_id == me, Contact.owner_id.in_(ids)
                    )
                )
            ).scalars()
        )
    urls = tx.media_urls
    return [
        FriendRead(
            account=AccountPublic.of(account, urls),
            remark=contact.remark,
            label_ids=sorted(labels[account.id]),
            mutual=account.id in mutual,
            since=contact.created_at,
        )
        for contact, account in rows
    ]


async def my_remarks(tx: Tx, viewer: Principal) -> dict[int, str]:
    """The remarks I gave my contacts (only those I set): how I see their names."""
    rows = await tx.session.execute(
        select(Contact.friend_id, Contact.remark).where(
            Contact.owner_id == viewer.account_id, Contact.remark != ""
        )
    )
    return {int(friend): str(remark) for friend, remark in rows.all()}


async def names_seen_by(
    tx: Tx, viewers: set[int], people: set[int]
) -> dict[tuple[int, int | None], str]:
    """How each of several viewers sees each person's name: their remark (备注) for them, else
    the name the person chose (the rule `my_remarks` and the web's `Page.name` apply for one
    viewer), for people who are active. Two reads, whatever the numbers."""
    if not viewers or not people:
        return {}
    chosen = {
        int(i): name or handle
        for i, name, handle in await tx.session.execute(
            select(Account.id, Account.display_name, Account.handle).where(
                Account.id.in_(sorted(people)), Account.status == "active"
            )
        )
    }
    remarks = {
        (int(owner), int(friend)): str(remark)
        for owner, friend, remark in await tx.session.execute(
            select(Contact.owner_id, Contact.friend_id, Contact.remark).where(
                Contact.owner_id.in_(sorted(viewers)),
                Contact.friend_id.in_(sorted(people)),
                Contact.remark != "",
            )
        )
    }
    return {
        (viewer, person): remarks.get((viewer, person)) or chosen[person]
        for viewer in viewers
        for person in chosen
    }


async def get_friend(tx: Tx, viewer: Principal, friend_id: int) -> FriendRead:
    found = await list_friends(tx, viewer, only=friend_id)
    if not found:
        raise NotFound("That person is not in your contacts.")
    return found[0]


async def list_friend_requests(
    tx: Tx, viewer: Principal, *, incoming: bool, window: Window, pending_only: bool = True
) -> Page[tuple[FriendRequest, Account]]:
    me = viewer.account_id
    mine, other = (
        (FriendRequest.to_id, FriendRequest.from_id)
        if incoming
        else (FriendRequest.from_id, FriendRequest.to_id)
    )
    query = (
        select(FriendRequest, Account)
        .join(Account, Account.id == other)
        .where(mine == me, Account.status == "active")
    )
    if pending_only:
        query = query.where(FriendRequest.status == "pending", FriendRequest.expires_at > tx.now)
    if incoming:  # requests from people I blocked are not shown to me
        query = query.where(
            ~select(Block.blocker_id)
            .where(Block.blocker_id == me, Block.blocked_id == FriendRequest.from_id)
            .exists()
        )
    rows = (await tx.session.execute(window_query(query, FriendRequest.id, window))).all()
    return Page.build([(r, a) for r, a in rows], window, lambda pair: pair[0].id)


async def count_incoming_requests(tx: Tx, viewer: Principal) -> int:
    """Pending friend requests to me, as `list_friend_requests` lists them (for badges)."""
    me = viewer.account_id
    query = (
        select(func.count())
        .select_from(FriendRequest)
        .join(Account, Account.id == FriendRequest.from_id)
        .where(
            FriendRequest.to_id == me,
            Account.status == "active",
            FriendRequest.status == "pending",
            FriendRequest.expires_at > tx.now,
            ~select(Block.blocker_id)
            .where(Block.blocker_id == me, Block.blocked_id == FriendRequest.from_id)
            .exists(),
        )
    )
    return int(await tx.session.scalar(query) or 0)


async def access_friend_request(
    tx: Tx, viewer: Principal, request_id: int, *, incoming: bool = False
) -> FriendRequest:
    """A request sent to (or, unless `incoming`, by) the viewer, whose other side the viewer
    may see: a request of an account that is gone, disabled or has blocked the viewer answers
    as a missing one does."""
    me = viewer.account_id
    request = await tx.session.get(FriendRequest, request_id)
    if request is None or me not in (request.from_id, request.to_id):
        raise NotFound("No such friend request.")
    if incoming and request.to_id != me:
        raise NotFound("No such friend request.")
    try:
        await access_account(
            tx, viewer, request.to_id if request.from_id == me else request.from_id
        )
    except NotFound:
        raise NotFound("No such friend request.") from None
    return request


async def list_labels(tx: Tx, viewer: Principal) -> list[tuple[Label, list[int]]]:
    labels = (
        (
            await tx.session.execute(
                select(Label).where(Label.owner_id == viewer.account_id).order_by(Label.name)
            )
        )
        .scalars()
        .all()
    )
    members: dict[int, list[int]] = defaultdict(list)
    if labels:
        for label_id, friend_id in await tx.session.execute(
            select(LabelMember.label_id, LabelMember.friend_id).where(
                LabelMember.label_id.in_([label.id for label in labels])
            )
        ):
            members[label_id].append(friend_id)
    return [(label, sorted(members[label.id])) for label in labels]


async def access_label(tx: Tx, viewer: Principal, label_id: int) -> Label:
    label = await tx.session.get(Label, label_id)
    if label is None or label.owner_id != viewer.account_id:
        raise NotFound("No such label.")
    return label


async def relationship(tx: Tx, viewer: Principal, other_id: int) -> Relationship:
    await access_account(tx, viewer, other_id)
    me = viewer.account_id
    contacts = {
        (owner, friend): remark
        for owner, friend, remark in await tx.session.execute(
            select(Contact.owner_id, Contact.friend_id, Contact.remark).where(
                or_(
                    and_(Contact.owner_id == me, Contact.friend_id == other_id),
                    and_(Contact.owner_id == other_id, Contact.friend_id == me),
                )
            )
        )
    }
    follows = {
        (a, b): status
        for a, b, status in await tx.session.execute(
            select(Follow.follower_id, Follow.followee_id, Follow.status).where(
                or_(
                    and_(Follow.follower_id == me, Follow.followee_id == other_id),
                    and_(Follow.follower_id == other_id, Follow.followee_id == me),
                )
            )
        )
    }
    requests = {
        (a, b)
        for a, b in await tx.session.execute(
            select(FriendRequest.from_id, FriendRequest.to_id).where(
                FriendRequest.status == "pending",
                FriendRequest.expires_at > tx.now,
                or_(
                    and_(FriendRequest.from_id == me, FriendRequest.to_id == other_id),
                    and_(FriendRequest.from_id == other_id, FriendRequest.to_id == me),
                ),
            )
        )
    }
    blocking = await tx.session.scalar(
        select(Block.blocker_id).where(Block.blocker_id == me, Block.blocked_id == other_id)
    )
    return Relationship(
        id=other_id,
        friend=(me, other_id) in contacts and (other_id, me) in contacts,
        contact=(me, other_id) in contacts,
        remark=contacts.get((me, other_id), ""),
        following=follows.get((me, other_id)) == "active",
        follow_requested=follows.get((me, other_id)) == "pending",
        followed_by=follows.get((other_id, me)) == "active",
        blocking=blocking is not None,
        request_sent=(me, other_id) in requests,
        request_received=(other_id, me) in requests,
    )


async def list_follows(
    tx: Tx,
    viewer: Principal | None,
    account_id: int,
    *,
    followers: bool,
    window: Window,
    status: str = "active",
) -> Page[tuple[Follow, Account]]:
    """Followers (or followings) of an account the viewer may see."""
    await access_account(tx, viewer, account_id)
    mine, other = (
        (Follow.followee_id, Follow.follower_id)
        if followers
        else (Follow.follower_id, Follow.followee_id)
    )
    query = (
        select(Follow, Account)
        .join(Account, Account.id == other)
        .where(mine == account_id, Follow.status == status, Account.status == "active")
    )
    rows = (await tx.session.execute(window_query(query, Follow.id, window))).all()
    return Page.build([(f, a) for f, a in rows], window, lambda pair: pair[0].id)


async def list_blocks(tx: Tx, viewer: Principal) -> list[Account]:
    rows = await tx.session.execute(
        select(Account)
        .join(Block, Block.blocked_id == Account.id)
        .where(Block.blocker_id == viewer.account_id)
        .order_by(Block.created_at.desc())
    )
    return list(rows.scalars())


async def search_accounts(tx: Tx, viewer: Principal | None, text: str, limit: int) -> list[Account]:
    """People found by handle (exact, then prefix) or by the words and characters of their
    display name (any part of a Chinese name, an English word by its stem or, the last one, by
    its beginning), if they let search find them; never someone who blocked the viewer."""
    # The start of a handle, read as lookups read handles, once invisible characters (which a
    # search drops from everything it compares) are gone.
    key = handle_prefix_key(clean_line(text))
    terms = query_terms(text, names=True)
    if key is None and not terms:
        return []
    query = select(Account)
    found: list[Any] = []
    rank: list[Any] = []
    if key is not None:
        handle_prefix = Account.handle_key.between(key, key + "\U0010ffff")
        found.append(handle_prefix)
        rank += [(Account.handle_key == key, -2e9), (handle_prefix, -1e9)]
    # every word whole first, then the word being typed as the beginning of a longer one
    for begun in parts(terms):
        matched = match(tx.dialect, ACCOUNTS, terms, begun=begun).alias()
        query = query.outerjoin(matched, matched.c.id == Account.id)
        found.append(matched.c.id.is_not(None))
        rank.append((matched.c.id.is_not(None), matched.c.rank + (0 if begun else -1e6)))
    query = query.where(or_(*found))
    query = query.where(Account.status == "active", Account.find_in_search.is_(True))
    if viewer is not None:
        query = query.where(
            ~select(Block.blocker_id)
            .where(Block.blocker_id == Account.id, Block.blocked_id == viewer.account_id)
            .exists()
        )
    query = query.order_by(case(*rank, else_=0), Account.number).limit(limit)
    return list((await tx.session.execute(query)).scalars())


async def find_people(tx: Tx, viewer: Principal, text: str, limit: int) -> list[Account]:
    """What a "find people" box finds: the account with exactly that number, or that handle
    (an `@` in front is allowed), if they let themselves be found that way; then the matches of
    `search_accounts`. Each person once, the exact match first."""
    key = text.strip()
    if not key:
        return []
    exact: Account | None = None
    try:
        if key.isascii() and key.isdigit():
            if len(key) <= 15:
                exact = await lookup_account(tx, viewer, number=int(key))
        else:
            exact = await lookup_account(tx, viewer, handle=key)  # read by handle_key
    except NotFound:
        exact = None
    found = [exact] if exact is not None else []
    for account in await search_accounts(tx, viewer, key.removeprefix("@"), limit):
        if exact is None or account.id != exact.id:
            found.append(account)
    return found[:limit]
