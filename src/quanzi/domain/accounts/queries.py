"""Reading accounts and sessions, with the rules on who may see what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, and_, exists, or_, select

from quanzi.db.models import Account, AuthSession, Block, Invite
from quanzi.db.paginate import window_query
from quanzi.domain.accounts.cache import ROWS_AMONG, AccountCache, AccountRow
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
    """An account as shapes show it, from the process cache when fresh. A transaction that
    already holds a connection reads through it (taking a second one could wait forever for a
    pool that all such requests hold); one that holds none shares a single load with whoever
    else wants the same account now."""
    cache = AccountCache.of(tx)
    if tx.opened is None:
        return await cache.load(account_id)
    row = cache.get(account_id)
    if row is None:
        account = await tx.session.get(Account, account_id)
        if account is None:
            return None
        row = AccountRow.of(account)
        cache.put(row)
    return row


async def load_account_rows(tx: Tx, ids: Iterable[int]) -> dict[int, AccountRow]:
    """Accounts as shapes show them: from the cache, the rest read in one statement."""
    cache = AccountCache.of(tx)
    rows: dict[int, AccountRow] = {}
    missing: list[int] = []
    for account_id in set(ids):
        row = cache.get(account_id)
        if row is None:
            missing.append(account_id)
        else:
            rows[account_id] = row
    if missing:
        conn = await tx.connection()
        for values in await conn.execute(ROWS_AMONG, {"ids": missing}):
            row = AccountRow(*values)
            cache.put(row)
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


def findable(viewer_id: Any, by: Literal["handle", "number"]) -> ColumnElement[bool]:
    """The SQL condition on `accounts` for "may this viewer find the account by its handle (or
    number)": an active account that lets itself be found that way and has not blocked the
    viewer; one's own account always. `viewer_id` is an id, a bound parameter or a column, or
    None for a visitor. Lookups and @mentions alike ask this."""
    allowed = (Account.find_by_handle if by == "handle" else Account.find_by_number).is_(True)
    if viewer_id is None:
        return and_(Account.status == "active", allowed)
    blocked_viewer = select(Block.blocker_id).where(
        Block.blocker_id == Account.id, Block.blocked_id == viewer_id
    )
    return and_(
        Account.status == "active",
        or_(Account.id == viewer_id, and_(allowed, ~exists(blocked_viewer))),
    )


async def lookup_account(
    tx: Tx, viewer: Principal | None, *, handle: str | None = None, number: int | None = None
) -> Account:
    """Find someone by handle (as `handle_key` reads it) or account number, as far as they
    allow being found that way (`findable`)."""
    viewer_id = viewer.account_id if viewer is not None else None
    if handle is not None:
        key = handle_key(handle)
        if key is None:
            raise NotFound("No such account.")
        query = select(Account).where(Account.handle_key == key, findable(viewer_id, "handle"))
    elif number is not None:
        query = select(Account).where(Account.number == number, findable(viewer_id, "number"))
    else:
        raise NotFound("No such account.")
    account = (await tx.session.execute(query)).scalar_one_or_none()
    if account is None:
        raise NotFound("No such account.")
    return account


async def account_by_handle(tx: Tx, handle: str) -> Account | None:
    """The account with this handle, whatever its state and settings (for operators)."""
    key = handle_key(handle)
    if key is None:
        return None
    return (
        await tx.session.execute(select(Account).where(Account.handle_key == key))
    ).scalar_one_or_none()


def email_key(email: str) -> str | None:
    """The key an email address is unique under (as registration normalises it, lower case),
    or None if it is not an address."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@dataclass(frozen=True, slots=True)
class LoginName:
    """What the text typed as a login names: an account number, a handle or an email
    address, each in its one spelling (`key`), whatever was typed (`010026` is `10026`,
    `Alice ` is `alice`). Text that names none of them is kind "none"."""

    kind: Literal["number", "handle", "email", "none"]
    key: str

    @classmethod
    def of(cls, login: str) -> LoginName:
        text = login.strip()
        if text.isascii() and text.isdigit():
            digits = text.lstrip("0") or "0"
            return cls("number", digits) if len(digits) < 16 else cls("none", digits)
        if (handle := handle_key(text)) is not None:
            return cls("handle", handle)
        if "@" in text and (email := email_key(text)) is not None:
            return cls("email", email)
        return cls("none", text.lower()[:320])


async def find_for_login(tx: Tx, name: LoginName) -> Account | None:
    """The account a login name means, if any."""
    if name.kind == "number":
        query = select(Account).where(Account.number == int(name.key))
    elif name.kind == "handle":
        query = select(Account).where(Account.handle_key == name.key)
    elif name.kind == "email":
        query = select(Account).where(Account.email_key == name.key)
    else:
        return None
    return (await tx.session.execute(query)).scalar_one_or_none()


async def list_sessions(tx: Tx, viewer: Principal, window: Window) -> Page[AuthSession]:
    query = select(AuthSession).where(AuthSession.account_id == viewer.account_id)
    rows = (await tx.session.execute(window_query(query, AuthSession.id, window))).scalars().all()
    return Page.build(rows, window, lambda s: s.id)


async def list_invites(tx: Tx, viewer: Principal, window: Window) -> Page[Invite]:
    query = select(Invite).where(Invite.created_by == viewer.account_id)
    rows = (await tx.session.execute(window_query(query, Invite.id, window))).scalars().all()
    return Page.build(rows, window, lambda i: i.id)
