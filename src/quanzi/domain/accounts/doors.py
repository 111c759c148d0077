"""Which doors a token opens: decided here, once, and asked by every door that takes a token.

Two kinds of token (DESIGN.md, "Tokens and doors"):

- a *session*, from the native log in (`Principal.scopes` is None): the native API, the native
  stream, the web pages, and the Mastodon API and its streaming;
- an *app token*, given to a client app through OAuth (a session row with `app_id` and `scopes`,
  or an app's own client-credentials token): the Mastodon API and its streaming only, and
  there only within its scopes.

The doors: native REST (`api/deps.py`) and the native stream (`api/native/ws.py`) ask for
`Door.NATIVE`; the web pages (`web/page.py`) and the consent to an app (`oauth.do_grant_code`)
for `Door.WEB`; the Mastodon API (`api/mastodon/auth.py`) and its streaming
(`api/mastodon/streaming.py`) for `Door.MASTODON` with the scope each endpoint or stream needs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, TypeVar

from quanzi.errors import Forbidden


class Door(StrEnum):
    NATIVE = "native"  # the native REST API and the native stream
    WEB = "web"  # the web pages (the session cookie)
    MASTODON = "mastodon"  # the Mastodon-compatible API and its streaming


class Caller(Protocol):
    """What a door knows of a token: its scopes (None for a session) and what they grant."""

    @property
    def scopes(self) -> frozenset[str] | None: ...

    def may(self, scope: str) -> bool: ...


C = TypeVar("C", bound=Caller)

# Mastodon's own words for a token whose scopes do not cover the request.
OUTSIDE_SCOPES = "This action is outside the authorized scopes"


def admit(caller: C, door: Door, scope: str | None = None) -> C:
    """The caller, if its token may come in at `door` (and, when named, do what `scope`
    names); else 403: `oauth_token` for an app token at a door that is not the Mastodon
    API's, `outside_scopes` for a scope the token was not granted."""
    if caller.scopes is not None and door is not Door.MASTODON:
        raise Forbidden(
            "This token was given to an app through OAuth: it works on the Mastodon API only.",
            code="oauth_token",
        )
    if scope is not None and not caller.may(scope):
        raise Forbidden(OUTSIDE_SCOPES, code="outside_scopes")
    return caller


def admits(caller: Caller, door: Door, scope: str | None = None) -> bool:
    """Whether `admit` would let the caller in."""
    try:
        admit(caller, door, scope)
    except Forbidden:
        return False
    return True
