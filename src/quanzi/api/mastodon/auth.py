"""Who calls a Mastodon endpoint, and whether the token's scopes allow it.

A token comes as `Authorization: Bearer …` (or `access_token=` in the query, as Mastodon's
streaming clients send it). It is a person's session (from OAuth, or a native log in, which may
do everything) or an app's own token (client credentials). Every request of a person counts
against `QUANZI_RATE_MASTODON_ACCOUNT`, told in X-RateLimit-* headers. Cookies are not accepted
here: the web client uses the native API. Whether a token may do what an endpoint needs is
decided by `domain/accounts/doors.admit` for `Door.MASTODON`, with the endpoint's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from quanzi.api.credentials import credentials_of
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.oauth import AppCaller, app_of_token
from quanzi.domain.accounts.sessions import Principal
from quanzi.errors import Unauthorized
from quanzi.services import Services

Caller = Principal | AppCaller


def bearer(request: Request) -> str | None:
    return credentials_of(request.scope).token


def _invalid_token() -> Unauthorized:
    return Unauthorized("The access token is invalid", code="invalid_token")


async def caller_of(services: Services, token: str | None) -> Caller | None:
    if token is None:
        return None
    principal = await services.auth.authenticate(token) if token else None
    if principal is not None:
        return principal
    if token:
        async with services.read() as tx:
            app = await app_of_token(tx, token)
        if app is not None:
            return app
    raise _invalid_token()


async def _counted(request: Request, principal: Principal) -> Principal:
    services: Services = request.app.state.services
    allowance = await services.limiter.take(
        services.settings.rate_mastodon_account, "mastodon", str(principal.account_id)
    )
    # Endpoints return their response themselves, which FastAPI sends as it is: MastodonRoute
    # (common.py) adds these headers to it from the request's state.
    request.state.mastodon_headers = allowance.headers()
    return principal


def user(scope: str) -> Callable[..., Any]:
    """A dependency: the person calling, whose token grants `scope`."""

    async def dependency(request: Request) -> Principal:
        caller = await caller_of(request.app.state.services, bearer(request))
        if caller is None:
            raise _invalid_token()
        if isinstance(caller, AppCaller):
            error = Unauthorized("This method requires an authenticated user", code="no_user")
            error.status = 422  # type: ignore[misc]  # as Mastodon answers an app token here
            raise error
        return await _counted(request, admit(caller, Door.MASTODON, scope))

    return dependency


def maybe_user(scope: str) -> Callable[..., Any]:
    """A dependency for what anyone may read: the person calling, or None (no token, or an
    app's own token). A person's token must grant `scope`."""

    async def dependency(request: Request) -> Principal | None:
        caller = await caller_of(request.app.state.services, bearer(request))
        if caller is None or isinstance(caller, AppCaller):
            return None
        return await _counted(request, admit(caller, Door.MASTODON, scope))

    return dependency


def any_caller(scope: str | None = None) -> Callable[..., Any]:
    """A dependency: a person or an app, whose token grants `scope` (when one is named)."""

    async def dependency(request: Request) -> Caller:
        caller = await caller_of(request.app.state.services, bearer(request))
        if caller is None:
            raise _invalid_token()
        return admit(caller, Door.MASTODON, scope)

    return dependency


ReadAccounts = Annotated[Principal, Depends(user("read:accounts"))]
WriteAccounts = Annotated[Principal, Depends(user("write:accounts"))]
ReadStatuses = Annotated[Principal, Depends(user("read:statuses"))]
WriteStatuses = Annotated[Principal, Depends(user("write:statuses"))]
ReadFollows = Annotated[Principal, Depends(user("read:follows"))]
WriteFollows = Annotated[Principal, Depends(user("write:follows"))]
WriteBlocks = Annotated[Principal, Depends(user("write:blocks"))]
ReadBlocks = Annotated[Principal, Depends(user("read:blocks"))]
WriteFavourites = Annotated[Principal, Depends(user("write:favourites"))]
ReadFavourites = Annotated[Principal, Depends(user("read:favourites"))]
ReadNotifications = Annotated[Principal, Depends(user("read:notifications"))]
WriteNotifications = Annotated[Principal, Depends(user("write:notifications"))]
WriteMedia = Annotated[Principal, Depends(user("write:media"))]
ReadSearch = Annotated[Principal | None, Depends(maybe_user("read:search"))]
Profile = Annotated[Principal, Depends(user("profile"))]
Push = Annotated[Principal, Depends(user("push"))]
ReadAny = Annotated[Principal, Depends(user("read"))]
WriteAny = Annotated[Principal, Depends(user("write"))]
MaybeReader = Annotated[Principal | None, Depends(maybe_user("read:statuses"))]
MaybeAccountReader = Annotated[Principal | None, Depends(maybe_user("read:accounts"))]
