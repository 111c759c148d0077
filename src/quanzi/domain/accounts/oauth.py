"""OAuth 2 for client apps (the Mastodon-compatible door): registering an app, a person's
consent (an authorization code), and the tokens an app gets (RFC 6749, with PKCE, RFC 7636).

A token an app gets for a person is an ordinary session (auth_sessions) that names the app and
the scopes granted; revoking it, or the person revoking the session, works as for any session.
An app's own token (client credentials) acts for no one: it may register an account and read
what anyone may read. Secrets, codes and tokens are stored only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from quanzi.db.models import AuthSession, OAuthApp, OAuthAppToken, OAuthCode
from quanzi.domain.accounts.actions import do_revoke_sessions
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.sessions import Principal, hash_token, new_token, scope_granted
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid, Unauthorized
from quanzi.kit.ids import new_id
from quanzi.kit.text import clean_line

OOB = "urn:ietf:wg:oauth:2.0:oob"  # "show me the code" instead of a redirect
CODE_SECONDS = 600
# Schemes a browser would run or read rather than hand to an app: never a redirect target.
UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.2

SUB_SCOPES = {
    "read": (
        "accounts blocks bookmarks favourites filters follows lists mutes notifications "
        "search statuses"
    ),
    "write": (
        "accounts blocks bookmarks conversations favourites filters follows lists media "
        "mutes notifications reports statuses"
    ),
}
SCOPES = frozenset(
    {"read", "write", "follow", "push", "profile"}
    | {f"{top}:{sub}" for top, subs in SUB_SCOPES.items() for sub in subs.split()}
)


def parse_scopes(raw: str | None, *, default: str = "read") -> frozenset[str]:
    """Scopes as a client writes them (space- or plus-separated); unknown ones are refused."""
    wanted = frozenset((raw or default).replace("+", " ").split()) or frozenset(default.split())
    unknown = sorted(wanted - SCOPES)
    if unknown:
        raise Invalid(f"Unknown scope: {unknown[0]}.", code="invalid_scope")
    return wanted


def within(wanted: frozenset[str], allowed: frozenset[str]) -> bool:
    return all(scope_granted(s, allowed) for s in wanted)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _check_redirect_uris(raw: str | list[str]) -> list[str]:
    uris = raw if isinstance(raw, list) else raw.split()
    uris = [u.strip() for u in uris if u.strip()]
    if not uris or len(uris) > 10:
        raise Invalid("Give one to ten redirect URIs.", code="invalid_redirect_uri")
    for uri in uris:
        parts = urlsplit(uri)
        if uri != OOB and (
            not parts.scheme
            or parts.scheme.lower() in UNSAFE_SCHEMES
            or len(uri) > 2000
            or parts.fragment
        ):
            raise Invalid(f"Not an absolute URI: {uri[:100]}.", code="invalid_redirect_uri")
    return uris


@dataclass(frozen=True, slots=True)
class NewApp:
    app: OAuthApp
    client_secret: str


async def do_create_app(
    tx: Tx, *, name: str, redirect_uris: str | list[str], scopes: str | None, website: str | None
) -> NewApp:
    name = clean_line(name)[:200]
    if not name:
        raise Invalid("An app needs a name.", code="invalid_name")
    granted = parse_scopes(scopes)
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        id=new_id(),
        client_id=secrets.token_urlsafe(24),
        secret_hash=_digest(secret),
        name=name,
        website=(website or "").strip()[:2000] or None,
        redirect_uris="\n".join(_check_redirect_uris(redirect_uris)),
        scopes=" ".join(sorted(granted)),
        created_at=tx.now,
    )
    tx.session.add(app)
    await tx.session.flush()
    return NewApp(app, secret)


def app_scopes(app: OAuthApp) -> frozenset[str]:
    return frozenset(app.scopes.split())


def redirect_uris(app: OAuthApp) -> list[str]:
    return app.redirect_uris.split("\n")


async def access_app(tx: Tx, client_id: str, client_secret: str | None = None) -> OAuthApp:
    """The app with this client id (and secret, when given), or 401 invalid_client."""
    app = (
        await tx.session.execute(select(OAuthApp).where(OAuthApp.client_id == client_id[:64]))
    ).scalar_one_or_none()
    wrong_secret = client_secret is not None and (
        app is None or not hmac.compare_digest(app.secret_hash, _digest(client_secret))
    )
    if app is None or wrong_secret:
        raise Unauthorized(
            "Client authentication failed: unknown client or wrong secret.", code="invalid_client"
        )
    return app


def check_authorization(app: OAuthApp, redirect_uri: str, scopes: str | None) -> frozenset[str]:
    """What a consent page may offer: a redirect URI the app registered, scopes it asked for."""
    if redirect_uri not in redirect_uris(app):
        raise Invalid(
            "The redirect URI is not one the app registered.", code="invalid_redirect_uri"
        )
    wanted = parse_scopes(scopes, default=app.scopes)
    if not within(wanted, app_scopes(app)):
        raise Invalid("The app asks for scopes it did not register.", code="invalid_scope")
    return wanted


def check_code_challenge(challenge: str | None, method: str | None) -> str | None:
    """The PKCE challenge to keep with a code: only S256 (a "plain" challenge is the verifier
    itself, seen by anyone who saw the consent URL), and only one that a verifier can match."""
    if challenge is None:
        return None
    if method != "S256":
        raise Invalid("Only the S256 code challenge method is supported.", code="invalid_request")
    if not CODE_CHALLENGE.fullmatch(challenge):
        raise Invalid("The code challenge is not valid.", code="invalid_request")
    return challenge


async def do_grant_code(
    tx: Tx,
    viewer: Principal,
    app: OAuthApp,
    *,
    redirect_uri: str,
    scopes: frozenset[str],
    code_challenge: str | None,
) -> str:
    """The person agreed: a one-time code the app exchanges for a token within ten minutes."""
    admit(viewer, Door.WEB)  # consent is given on this server's own pages, never by an app
    check_authorization(app, redirect_uri, " ".join(sorted(scopes)))  # not only the door's word
    code_challenge = check_code_challenge(code_challenge, "S256")
    # Codes never exchanged would otherwise stay forever: the app's expired ones go now.
    await tx.session.execute(
        delete(OAuthCode)
        .where(OAuthCode.app_id == app.id, OAuthCode.expires_at < tx.now)
        .execution_options(synchronize_session=False)
    )
    code = secrets.token_urlsafe(32)
    tx.session.add(
        OAuthCode(
            code_hash=_digest(code),
            app_id=app.id,
            account_id=viewer.account_id,
            scopes=" ".join(sorted(scopes)),
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=tx.now + timedelta(seconds=CODE_SECONDS),
        )
    )
    return code


def _invalid_grant(message: str) -> Invalid:
    error = Invalid(message, code="invalid_grant")
    error.status = 400  # type: ignore[misc]  # RFC 6749 5.2
    return error


def _pkce_ok(challenge: str, verifier: str | None) -> bool:
    if verifier is None:
        return False
    made = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(made.decode(), challenge)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    scopes: frozenset[str]
    created_at_s: int


async def do_exchange_code(
    tx: Tx, app: OAuthApp, *, code: str, redirect_uri: str, code_verifier: str | None
) -> IssuedToken:
    """Trade a code for a token: once, in time, by the app it was given to, with the same
    redirect URI (and the PKCE verifier, if the app sent a challenge)."""
    row = (
        await tx.session.execute(
            delete(OAuthCode).where(OAuthCode.code_hash == _digest(code)).returning(OAuthCode)
        )
    ).scalar_one_or_none()
    if row is None or row.app_id != app.id or row.expires_at < tx.now:
        raise _invalid_grant("The code is not valid (expired, used, or for another app).")
    if row.redirect_uri != redirect_uri:
        raise _invalid_grant("The redirect URI differs from the one the code was given for.")
    if row.code_challenge is not None and not _pkce_ok(row.code_challenge, code_verifier):
        raise _invalid_grant("The PKCE code verifier does not match.")
    scopes = frozenset(row.scopes.split())
    return await do_open_app_session(tx, app, row.account_id, scopes)


async def do_open_app_session(
    tx: Tx, app: OAuthApp, account_id: int, scopes: frozenset[str]
) -> IssuedToken:
    token, digest = new_token()
    tx.session.add(
        AuthSession(
            id=new_id(),
            account_id=account_id,
            token_hash=digest,
            device_name=app.name[:100],
            kind="oauth",
            app_id=app.id,
            scopes=" ".join(sorted(scopes)),
            created_at=tx.now,
            last_used_at=tx.now,
        )
    )
    return IssuedToken(token, scopes, int(tx.now.timestamp()))


async def do_issue_app_token(tx: Tx, app: OAuthApp, scopes: frozenset[str]) -> IssuedToken:
    token, digest = new_token()
    tx.session.add(
        OAuthAppToken(
            token_hash=digest, app_id=app.id, scopes=" ".join(sorted(scopes)), created_at=tx.now
        )
    )
    return IssuedToken(token, scopes, int(tx.now.timestamp()))


@dataclass(frozen=True, slots=True)
class AppCaller:
    """A request made with an app's own token."""

    app: OAuthApp
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope_granted(scope, self.scopes)


async def app_of_token(tx: Tx, token: str) -> AppCaller | None:
    row = (
        await tx.session.execute(
            select(OAuthAppToken, OAuthApp)
            .join(OAuthApp, OAuthApp.id == OAuthAppToken.app_id)
            .where(OAuthAppToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    return AppCaller(row[1], frozenset(row[0].scopes.split()))


async def do_revoke_token(tx: Tx, app: OAuthApp, token: str) -> None:
    """Revoke a token the app was given (it stops working in every process at once). An
    unknown token is not an error (RFC 7009)."""
    digest = hash_token(token)
    await tx.session.execute(
        delete(OAuthAppToken).where(
            OAuthAppToken.token_hash == digest, OAuthAppToken.app_id == app.id
        )
    )
    found = (
        await tx.session.execute(
            select(AuthSession.account_id, AuthSession.id).where(
                AuthSession.token_hash == digest, AuthSession.app_id == app.id
            )
        )
    ).first()
    if found is not None:
        await do_revoke_sessions(tx, found.account_id, [found.id])


async def app_of_session(tx: Tx, session_id: int) -> OAuthApp | None:
    """The app a session was given to (None for a native or web session)."""
    return (
        await tx.session.execute(
            select(OAuthApp)
            .join(AuthSession, AuthSession.app_id == OAuthApp.id)
            .where(AuthSession.id == session_id)
        )
    ).scalar_one_or_none()
