"""Reading accounts and sessions, with the rules on who may see what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from quanzi.db.models import Account, AuthSession, Invite
from quanzi.db.paginate import window_query
from quanzi.domain.accounts.cache import ROWS_AMONG, AccountRow
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.relations import is_blocked
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.pagination import Page, Window
from quanzi.kit.text import handle_key


async def access_account(tx: Tx, viewer: Principal | None, account_id: int) -> Account:
    """The account if `viewer` may see it; NotFound for missing, deleted or disabled ones, and
    for someone who blocked the viewer (to the blocked, a blocker looks like nobody)."""
    account = await tx.session.get(Account, account_id)
    if account is None or account.status != "active":
        raise NotFound("No such account.")
    hidden = viewer is not None and viewer.account_id != account_id
    if hidden and await is_blocked(tx, account_id, viewer.account_id):  # type: ignore[union-attr]
        raise NotFound("No such account.")
    return account


async def load_account_row(tx: Tx, account_id: int) -> AccountRow | None:
    """An account as views show it, from the process cache when fresh. A transaction that
    already holds a connection reads through it (taking a second one could wait forever for a
    pool that all such requests hold); one that holds none shares a single load with whoever
    else wants the same account now."""
    if tx.opened is None:
        return await tx.account_cache.load(account_id)
    row = tx.account_cache.get(account_id)
    if row is None:
        account = await tx.session.get(Account, account_id)
        if account is None:
            return None
        row = AccountRow.of(account)
        tx.account_cache.put(row)
    return row


async def load_account_rows(tx: Tx, ids: Iterable[int]) -> dict[int, AccountRow]:
    """Accounts as views show them: from the cache, the rest read in one statement."""
    rows: dict[int, AccountRow] = {}
    missing: list[int] = []
    for account_id in set(ids):
        row = tx.account_cache.get(account_id)
        if row is None:
            missing.append(account_id)
        else:
            rows[account_id] = row
    if missing:
        conn = await tx.connection()
        for values in await conn.execute(ROWS_AMONG, {"ids": missing}):
            row = AccountRow(*values)
            tx.account_cache.put(row)
            rows[row.id] = row
    return rows


async def view_account(tx: Tx, viewer: Principal | None, account_id: int) -> AccountRow:
    """What `access_account` allows, as a snapshot for rendering (cached)."""
    row = await load_account_row(tx, account_id)
    if row is None or row.status != "active":
        raise NotFound("No such account.")
    hidden = viewer is not None and viewer.account_id != account_id
    if hidden and await is_blocked(tx, account_id, viewer.account_id):  # type: ignore[union-attr]
        raise NotFound("No such account.")
    return row


async def view_own_account(tx: Tx, viewer: Principal) -> AccountRow:
    row = await load_account_row(tx, viewer.account_id)
    if row is None:
        raise NotFound("No such account.")
    return row


async def get_own_account(tx: Tx, viewer: Principal) -> Account:
    account = await tx.session.get(Account, viewer.account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


async def lookup_account(
    tx: Tx, viewer: Principal | None, *, handle: str | None = None, number: int | None = None
) -> Account:
    """Find someone by handle or account number, as far as they allow being found that way."""
    query = select(Account).where(Account.status == "active")
    if handle is not None:
        query = query.where(Account.handle_key == handle_key(handle))
    elif number is not None:
        query = query.where(Account.number == number)
    else:
        raise NotFound("No such account.")
    account = (await tx.session.execute(query)).scalar_one_or_none()
    if account is None:
        raise NotFound("No such account.")
    own = viewer is not None and viewer.account_id == account.id
    allowed = account.find_by_handle if handle is not None else account.find_by_number
    if not (own or allowed):
        raise NotFound("No such account.")
    if viewer is not None and not own and await is_blocked(tx, account.id, viewer.account_id):
        raise NotFound("No such account.")
    return account


async def find_for_login(tx: Tx, login: str) -> Account | None:
    """The account a login name means: an account number, an email address, or a handle."""
    login = login.strip()
    if login.isascii() and login.isdigit() and len(login) <= 18:
        query = select(Account).where(Account.number == int(login))
    elif "@" in login:
        query = select(Account).where(Account.email_key == login.lower())
    else:
        query = select(Account).where(Account.handle_key == handle_key(login))
    return (await tx.session.execute(query)).scalar_one_or_none()


async def list_sessions(tx: Tx, viewer: Principal, window: Window) -> Page[AuthSession]:
    query = select(AuthSession).where(AuthSession.account_id == viewer.account_id)
    rows = (await tx.session.execute(window_query(query, AuthSession.id, window))).scalars().all()
    return Page.build(rows, window, lambda s: s.id)


async def list_invites(tx: Tx, viewer: Principal, window: Window) -> Page[Invite]:
    query = select(Invite).where(Invite.created_by == viewer.account_id)
    rows = (await tx.session.execute(window_query(query, Invite.id, window))).scalars().all()
    return Page.build(rows, window, lambda i: i.id)
