"""How often a password may be tried.

Every check of a password counts against the account it is for, whatever spelling of the
login named it (the number with or without leading zeros, the handle in any case, the email
address), so that an account locked under one spelling is locked under all:

- Log in (native, web page, OAuth's password grant): failed attempts per account
  (`QUANZI_RATE_LOGIN_ACCOUNT`), besides attempts per address (`QUANZI_RATE_LOGIN_IP`). A
  login that names no account counts against the name in its one spelling
  (`LoginName.key`), so a made-up name locks after as many failures as a real one, answers
  the same, and `0010026` locks with `10026`.
- A logged-in session confirming the current password (to change it, to delete the account):
  every check per session (`QUANZI_RATE_REAUTH_SESSION`, counted before the hash, so
  that guesses sent at once cannot pass together) and the failed ones per account, from all
  its sessions (`QUANZI_RATE_REAUTH_ACCOUNT`). They hash in the re-check share of the
  hasher (`Passwords`), so guesses wait for one another and do not hold up log-ins.

A limit on failures is checked again and counted while a hashing slot is held
(`Passwords.slot`), so guesses sent at once cannot all pass the check before any of them is
counted: past the limit, a process lets through at most one per slot it has.
"""

from __future__ import annotations

from quanzi.db.models import Account
from quanzi.domain.accounts.queries import LoginName
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.ports import PasswordWork


async def verify_login(
    services: PasswordWork, account: Account | None, name: LoginName, password: str
) -> bool:
    """Is `password` the password of `account` (the one `name` names, if any)? An unknown
    account costs a hash too, and answers False. RateLimited once the account (or, for no
    account, the name) has failed too often."""
    rate = services.settings.rate_login_account
    limiter, passwords = services.limiter, services.passwords
    key = f"account:{account.id}" if account is not None else f"{name.kind}:{name.key}"
    password_hash = account.password_hash if account is not None else None
    await limiter.check(rate, "login-account", key)  # a locked account waits for no slot
    async with passwords.slot():  # checked again and counted in the slot: see Passwords.slot
        await limiter.check(rate, "login-account", key)
        if await passwords.verify_in_slot(password_hash, password):
            return True
        await limiter.hit(rate, "login-account", key)
        return False


async def verify_current_password(
    services: PasswordWork, viewer: Principal, password_hash: str | None, password: str
) -> bool:
    """Is `password` the viewer's current password? RateLimited once the session has checked,
    or the account failed, too often."""
    settings, limiter, passwords = services.settings, services.limiter, services.passwords
    await limiter.hit(settings.rate_reauth_session, "reauth-session", str(viewer.session_id))
    account = str(viewer.account_id)
    await limiter.check(settings.rate_reauth_account, "reauth-account", account)
    async with passwords.slot(recheck=True):
        await limiter.check(settings.rate_reauth_account, "reauth-account", account)
        if await passwords.verify_in_slot(password_hash, password):
            return True
        await limiter.hit(settings.rate_reauth_account, "reauth-account", account)
        return False
