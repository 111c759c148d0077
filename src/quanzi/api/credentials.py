"""Where a door finds the caller's token, and the one same-origin rule for cookies.

Every door reads a token the same way, from the ASGI scope of an HTTP request or a WebSocket:

1. `Authorization: Bearer <token>` (another scheme counts as a wrong token, not as none);
2. `access_token=<token>` in the query (how streaming clients send it), except on the native
   REST API, which keeps tokens out of URLs;
3. the WebSocket subprotocol (`Sec-WebSocket-Protocol`), where the door takes it: Mastodon's
   web client sends its token that way, and the server answers with the same subprotocol;
4. the session cookie, where the door takes it (the native API and stream, for the web
   client's pages), and only from our own origin on a socket or a state-changing request:
   browsers send cookies with cross-site WebSockets and posts.

`same_origin` is the one rule for (4): the request's `Origin` (or, for HTTP requests that
have none, `Referer`) is this server's public address or the host it was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import cookie_parser

SESSION_COOKIE = "quanzi_session"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request carries: its token (None: none at all; "": a malformed one), how it came
    (`header`, `query`, `protocol`, `cookie`), and the WebSocket subprotocol to accept with."""

    token: str | None
    source: str | None = None
    protocol: str | None = None

    @property
    def by_cookie(self) -> bool:
        return self.source == "cookie"


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """One header of the request (`name` in lower case, as ASGI gives them), or None. Only
    that one is decoded: this runs on every request."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def cookie_of(scope: Mapping[str, Any], name: str = SESSION_COOKIE) -> str | None:
    return cookie_parser(header(scope, b"cookie") or "").get(name)


def credentials_of(
    scope: Mapping[str, Any], *, query: bool = True, protocol: bool = False, cookie: bool = False
) -> Credentials:
    """The caller's token as this door takes it (see the module's docstring). A cookie is
    returned whatever the origin: the door asks `same_origin` when the cookie must come from
    our own pages (`by_cookie`)."""
    offered = next(iter(scope.get("subprotocols") or ()), None) if protocol else None
    auth = header(scope, b"authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        return Credentials(token.strip() if scheme.lower() == "bearer" else "", "header", offered)
    if query:
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("access_token")
        if given:
            return Credentials(str(given[0]), "query", offered)
    if offered:
        return Credentials(offered, "protocol", offered)
    if cookie:
        found = cookie_of(scope)
        if found is not None:
            return Credentials(found, "cookie")
    return Credentials(None)


def same_origin(scope: Mapping[str, Any], public_base: str) -> bool:
    """True if the request says it comes from a page of this server: its `Origin` (for an
    HTTP request without one, its `Referer`) is our public address or the host it was sent
    to, by either scheme (a proxy may end TLS in front of us)."""
    origin = header(scope, b"origin")
    if origin is None and scope.get("type") == "http":
        origin = header(scope, b"referer")
    if not origin:
        return False
    host = header(scope, b"host") or ""
    own = {public_base.rstrip("/"), f"http://{host}", f"https://{host}"}
    return any(origin == o or origin.startswith(o + "/") for o in own)
