"""Writes on accounts.

Most actions take the door's transaction (`do_*`). Registration, log in, password change and
deletion hash or verify a password first, which takes tens of milliseconds of CPU: they take
`services` and open their own transactions around the slow part, so no database write lock is
held while argon2 runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import (
    Account,
    AuthSession,
    Counter,
    IdempotencyKey,
    Invite,
    Media,
    Notification,
)
from quanzi.domain.accounts.attempts import verify_current_password, verify_login
from quanzi.domain.accounts.cache import note_accounts_changed
from quanzi.domain.accounts.queries import LoginName, email_key, find_for_login, get_own_account
from quanzi.domain.accounts.revocations import record_revocation
from quanzi.domain.accounts.sessions import Principal, new_token
from quanzi.domain.accounts.shapes import AccountSelf
from quanzi.domain.chat.erase import do_erase_chats
from quanzi.domain.checks import text_field
from quanzi.domain.contacts.actions import do_erase_contacts
from quanzi.domain.events import ACCOUNT_UPDATED
from quanzi.domain.idempotency import Idempotency, create_once
from quanzi.domain.media.claims import claim_one
from quanzi.domain.media.storage import MediaStore
from quanzi.domain.moments.actions import do_erase_moments, renew_photo_urls
from quanzi.domain.ports import AccountWork, PasswordWork
from quanzi.domain.square.erase import do_erase_square
from quanzi.domain.tx import Tx
from quanzi.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from quanzi.kit.ids import new_id
from quanzi.kit.text import RESERVED_HANDLES, clean_line, handle_key, is_valid_handle
from quanzi.kit.words import name_tokens

MAX_PASSWORD = 1024
GENDERS = ("male", "female", "other")
MOMENTS_WINDOWS = ("all", "6m", "3d")


@dataclass(frozen=True, slots=True)
class Registration:
    handle: str
    password: str
    display_name: str
    email: str | None = None
    invite_code: str | None = None


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: _Unset = _Unset()


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """Only the fields given are changed; None clears gender and avatar."""

    display_name: str | _Unset = UNSET
    bio: str | _Unset = UNSET
    region: str | _Unset = UNSET
    gender: str | _Unset | None = UNSET
    avatar_id: int | _Unset | None = UNSET
    find_by_number: bool | _Unset = UNSET
    find_by_handle: bool | _Unset = UNSET
    find_in_search: bool | _Unset = UNSET
    add_needs_verification: bool | _Unset = UNSET
    allow_strangers: bool | _Unset = UNSET
    locked: bool | _Unset = UNSET
    show_presence: bool | _Unset = UNSET
    moments_window: str | _Unset = UNSET

    def given(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if not isinstance(getattr(self, f.name), _Unset)
        }


# Validation


def _invalid(field: str, message: str, code: str) -> Invalid:
    return Invalid(message, code=code, details={"field": field})


def check_handle(handle: str) -> str:
    """A handle that may be registered: exactly a handle (no white space or other character
    around or in it: `alice\n` is refused, not trimmed) and, once read as a key, not a reserved
    name."""
    if not is_valid_handle(handle):
        raise _invalid(
            "handle",
            "A handle is 3 to 30 letters, digits or _, starting with a letter.",
            "invalid_handle",
        )
    if handle_key(handle) in RESERVED_HANDLES:
        raise Conflict("That handle is taken.", code="handle_taken", details={"field": "handle"})
    return handle


def check_password(password: str, handle: str, min_length: int) -> str:
    if len(password) < min_length:
        raise _invalid(
            "password", f"A password needs at least {min_length} characters.", "weak_password"
        )
    if len(password.encode()) > MAX_PASSWORD:
        raise _invalid("password", "That password is too long.", "invalid_password")
    if password.lower() == handle.lower():
        raise _invalid("password", "The password must not be the handle.", "weak_password")
    return password


def check_display_name(name: str, max_length: int) -> str:
    return text_field(
        name,
        field="display_name",
        what="A display name",
        code="invalid_display_name",
        min_len=1,
        max_len=max_length,
    )


def check_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _invalid("email", "That is not an email address.", "invalid_email") from None


# Registration and accounts made by operators


async def register(
    services: PasswordWork,
    reg: Registration,
    *,
    ip: str,
    idempotency: Idempotency | None = None,
) -> tuple[Account, bool]:
    """Sign up through a door. Returns the account and whether this was a replayed request."""
    settings = services.settings
    if settings.registration == "closed":
        raise Forbidden("Registration is closed on this server.", code="registration_closed")
    if settings.registration == "invite" and not reg.invite_code:
        raise _invalid("invite_code", "Registration needs an invite code.", "invite_required")
    await services.limiter.hit(settings.rate_register_ip, "register-ip", ip)
    reg = _validated(reg, settings.password_min_length, settings.display_name_max)
    password_hash = await services.passwords.hash(reg.password)
    need_invite = settings.registration == "invite"

    async def create(tx: Tx) -> Account:
        return await do_create_account(tx, reg, password_hash, use_invite=need_invite)

    done = await create_once(services, idempotency, "account", create)
    if done.made is not None:
        return done.made, False
    async with services.read() as tx:
        return await _load_account(tx, done.id), True


async def create_account(
    services: PasswordWork, reg: Registration, *, role: str = "user"
) -> Account:
    """Make an account without the door's checks (registration mode, rate limits): for
    operators (`quanzi user create`) and the demo world."""
    reg = _validated(reg, services.settings.password_min_length, services.settings.display_name_max)
    password_hash = await services.passwords.hash(reg.password)
    async with services.write() as tx:
        return await do_create_account(tx, reg, password_hash, role=role)


def _validated(reg: Registration, min_password: int, max_name: int) -> Registration:
    handle = check_handle(reg.handle)
    return Registration(
        handle=handle,
        password=check_password(reg.password, handle, min_password),
        display_name=check_display_name(reg.display_name, max_name),
        email=check_email(reg.email) if reg.email else None,
        invite_code=reg.invite_code,
    )


async def _load_account(tx: Tx, account_id: int) -> Account:
    account = await tx.session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


async def do_create_account(
    tx: Tx, reg: Registration, password_hash: str, *, role: str = "user", use_invite: bool = False
) -> Account:
    key = handle_key(check_handle(reg.handle))
    assert key is not None  # a valid handle has a key
    taken = await tx.session.scalar(select(Account.id).where(Account.handle_key == key))
    if taken is not None:
        raise Conflict("That handle is taken.", code="handle_taken", details={"field": "handle"})
    email = email_key(reg.email) if reg.email else None
    if email is not None:
        taken = await tx.session.scalar(select(Account.id).where(Account.email_key == email))
        if taken is not None:
            raise Conflict(
                "That email address is in use.", code="email_taken", details={"field": "email"}
            )
    if use_invite:
        await _use_invite(tx, reg.invite_code or "")
    number = await _next_account_number(tx)
    account = Account(
        id=new_id(),
        number=number,
        handle=reg.handle,
        handle_key=key,
        email=reg.email,
        email_key=email,
        password_hash=password_hash,
        display_name=reg.display_name,
        search_tokens=name_tokens(reg.handle, reg.display_name),
        moments_window="all",
        bio="",
        region="",
        gender=None,
        avatar_id=None,
        find_by_number=True,
        find_by_handle=True,
        find_in_search=True,
        add_needs_verification=True,
        allow_strangers=False,
        locked=False,
        show_presence=True,
        followers_count=0,
        following_count=0,
        post_count=0,
        role=role,
        status="active",
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(account)
    try:
        await tx.session.flush()
    except IntegrityError:
        raise Conflict("That handle or email address is taken.", code="handle_taken") from None
    return account


async def _next_account_number(tx: Tx) -> int:
    """Numbers go up from 10001 and are never reused: the counter only ever grows."""
    result = await tx.session.execute(
        update(Counter)
        .where(Counter.name == "account_number")
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    return int(result.scalar_one())


async def _use_invite(tx: Tx, code: str) -> None:
    used = await tx.session.execute(
        update(Invite)
        .where(
            Invite.code == code,
            Invite.uses < Invite.max_uses,
            (Invite.expires_at.is_(None)) | (Invite.expires_at > tx.now),
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.id)
    )
    if used.first() is None:
        raise _invalid("invite_code", "That invite code is not valid.", "invalid_invite")


# Logging in and out


@dataclass(frozen=True, slots=True)
class LoggedIn:
    token: str
    session: AuthSession
    account: Account


async def log_in(
    services: PasswordWork,
    login: str,
    password: str,
    *,
    device_name: str,
    kind: str,
    ip: str,
    app_id: int | None = None,
    scopes: str | None = None,
) -> LoggedIn:
    """Check a password and open a session (for a client app with `scopes`, through OAuth's
    password grant). A wrong password and an unknown login get the same answer, after the same
    work (an argon2 verification either way); failures count against the account, whatever
    spelling of the login named it (`attempts`)."""
    await services.limiter.hit(services.settings.rate_login_ip, "login-ip", ip)
    name = LoginName.of(login)
    async with services.read() as tx:
        account = await find_for_login(tx, name)
    if not await verify_login(services, account, name, password) or account is None:
        raise Unauthorized("Wrong login or password.", code="invalid_credentials")
    password_hash = account.password_hash
    if account.status != "active":
        raise Forbidden("This account is disabled.", code="account_disabled")
    rehashed = None
    if password_hash is not None and services.passwords.needs_rehash(password_hash):
        rehashed = await services.passwords.hash(password)
    token, digest = new_token()
    async with services.write() as tx:
        session = AuthSession(
            id=new_id(),
            account_id=account.id,
            token_hash=digest,
            device_name=clean_line(device_name)[:100] or "unknown device",
            kind=kind,
            app_id=app_id,
            scopes=scopes,
            created_at=tx.now,
            last_used_at=tx.now,
        )
        tx.session.add(session)
        if rehashed is not None:
            await tx.session.execute(
                update(Account).where(Account.id == account.id).values(password_hash=rehashed)
            )
    return LoggedIn(token, session, account)


async def do_revoke_sessions(
    tx: Tx,
    account_id: int,
    session_ids: list[int] | None = None,
    *,
    keep: int | None = None,
    account_closed: bool = False,
) -> int:
    """End sessions of an account (all of them when `session_ids` is None), except `keep`.
    Their tokens stop working and their live sockets are closed, in every process within a
    second or two (revocations.py). `account_closed`: the account stops being active, so the
    revocation covers every session it has, even one a log in is opening meanwhile."""
    query = delete(AuthSession).where(AuthSession.account_id == account_id)
    if session_ids is not None:
        query = query.where(AuthSession.id.in_(session_ids))
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    ended = [row[0] for row in (await tx.session.execute(query.returning(AuthSession.id))).all()]
    if account_closed:
        await record_revocation(tx, account_id, None)
    elif ended:
        await record_revocation(tx, account_id, ended)
    return len(ended)


async def do_log_out(tx: Tx, viewer: Principal) -> None:
    await do_revoke_sessions(tx, viewer.account_id, [viewer.session_id])


async def do_revoke_session(tx: Tx, viewer: Principal, session_id: int) -> None:
    if not await do_revoke_sessions(tx, viewer.account_id, [session_id]):
        raise NotFound("No such session.")


# Profile


async def do_update_profile(tx: Tx, viewer: Principal, changes: ProfileChanges) -> Account:
    account = await get_own_account(tx, viewer)
    settings = tx.settings
    given = changes.given()
    for name, value in given.items():
        if name == "display_name":
            value = check_display_name(str(value), settings.display_name_max)
            account.search_tokens = name_tokens(account.handle, value)
        elif name == "bio":
            value = text_field(
                str(value),
                field="bio",
                what="A bio",
                code="invalid_bio",
                max_len=settings.bio_max,
                lines=True,
            )
        elif name == "region":
            value = text_field(
                str(value), field="region", what="A region", code="invalid_region", max_len=100
            )
        elif name == "moments_window":
            if value not in MOMENTS_WINDOWS:
                raise _invalid(
                    "moments_window",
                    "Moments are shown for all, 6m or 3d.",
                    "invalid_moments_window",
                )
            if value != account.moments_window:
                await renew_photo_urls(tx, account.id)
        elif name == "gender" and value is not None and value not in GENDERS:
            raise _invalid("gender", "Gender is male, female, other or null.", "invalid_gender")
        elif name == "avatar_id":
            await _set_avatar(tx, account, value if isinstance(value, int) else None)
            continue
        setattr(account, name, value)
    account.updated_at = tx.now
    await tx.session.flush()
    note_accounts_changed(tx, account.id)
    tx.emit(ACCOUNT_UPDATED(AccountSelf.of(account, tx.media_urls), users=[account.id]))
    return account


async def _set_avatar(tx: Tx, account: Account, media_id: int | None) -> None:
    await claim_one(tx, account.id, media_id, "avatar", field="avatar_id")
    if account.avatar_id is not None and account.avatar_id != media_id:
        await tx.session.execute(
            update(Media)
            .where(Media.id == account.avatar_id, Media.attached_to == "avatar")
            .values(attached_to=None)
        )
    account.avatar_id = media_id


# Password and account lifecycle


async def change_password(
    services: PasswordWork, viewer: Principal, current: str, new: str
) -> None:
    """Change the password after checking the current one; other sessions are logged out."""
    async with services.read() as tx:
        account = await get_own_account(tx, viewer)
    if not await verify_current_password(services, viewer, account.password_hash, current):
        raise _invalid("current_password", "The current password is wrong.", "wrong_password")
    check_password(new, account.handle, services.settings.password_min_length)
    new_hash = await services.passwords.hash(new, recheck=True)
    async with services.write() as tx:
        await tx.session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(password_hash=new_hash, updated_at=tx.now)
        )
        note_accounts_changed(tx, account.id)
        await do_revoke_sessions(tx, account.id, keep=viewer.session_id)


async def delete_account(services: AccountWork, viewer: Principal, password: str) -> None:
    """Erase an account. What stays is a tombstone (id, number, handle) so the handle and
    number are never given to someone else."""
    async with services.read() as tx:
        account = await get_own_account(tx, viewer)
    if not await verify_current_password(services, viewer, account.password_hash, password):
        raise _invalid("password", "The password is wrong.", "wrong_password")
    async with services.write() as tx:
        await do_erase_account(tx, services.media_store, account.id)


async def do_erase_account(tx: Tx, store: MediaStore, account_id: int) -> None:
    """Erase everything of an account; each area erases its own part here."""

    account = await tx.session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    media = (
        await tx.session.execute(
            select(Media.file_key, Media.thumb_key).where(Media.owner_id == account_id)
        )
    ).all()
    keys = [key for row in media for key in row]
    tx.after_commit(lambda: store.delete_many(keys))
    await tx.session.execute(delete(Media).where(Media.owner_id == account_id))
    await tx.session.execute(delete(Invite).where(Invite.created_by == account_id))
    await tx.session.execute(delete(IdempotencyKey).where(IdempotencyKey.account_id == account_id))
    await tx.session.execute(delete(Notification).where(Notification.account_id == account_id))
    await do_erase_contacts(tx, account_id)
    await do_erase_chats(tx, account_id)
    await do_erase_moments(tx, account_id)
    await do_erase_square(tx, account_id)
    await do_revoke_sessions(tx, account_id, account_closed=True)
    account.email = account.email_key = account.password_hash = None
    account.display_name = account.bio = account.region = account.search_tokens = ""
    account.gender = account.avatar_id = None
    account.find_by_number = account.find_by_handle = account.find_in_search = False
    account.status = "deleted"
    account.updated_at = tx.now
    note_accounts_changed(tx, account.id)


async def do_set_status(tx: Tx, account: Account, status: str) -> None:
    """Disable or re-enable an account (operators). Disabling ends every session."""
    if account.status == "deleted":
        raise Conflict("A deleted account cannot be changed.", code="account_deleted")
    account.status = status
    account.updated_at = tx.now
    note_accounts_changed(tx, account.id)
    if status != "active":
        await do_revoke_sessions(tx, account.id, account_closed=True)


# Invites


async def do_create_invite(
    tx: Tx, viewer: Principal, *, max_uses: int = 1, expires_in: timedelta | None = None
) -> Invite:
    if not viewer.is_admin:
        raise Forbidden("Only administrators can create invites.")
    if not 1 <= max_uses <= 10_000:
        raise _invalid("max_uses", "An invite is good for 1 to 10000 uses.", "invalid_max_uses")
    invite = Invite(
        id=new_id(),
        code=secrets.token_urlsafe(12),
        created_by=viewer.account_id,
        max_uses=max_uses,
        uses=0,
        expires_at=tx.now + expires_in if expires_in else None,
        created_at=tx.now,
    )
    tx.session.add(invite)
    await tx.session.flush()
    return invite


async def do_delete_invite(tx: Tx, viewer: Principal, code: str) -> None:
    result = await tx.session.execute(
        delete(Invite)
        .where(Invite.code == code, Invite.created_by == viewer.account_id)
        .returning(Invite.id)
    )
    if result.first() is None:
        raise NotFound("No such invite.")
