"""What every native endpoint may ask for: the services, the caller, a page window, an
idempotency key. Authentication accepts a bearer token, or the web session cookie; a cookie is
only trusted on a state-changing request that comes from our own origin (CSRF). Either way the
token must be one that opens the native door (`domain/accounts/doors.py`): a session, not a
token given to an app through OAuth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Query, Request, Response

from quanzi.api.credentials import SESSION_COOKIE as SESSION_COOKIE  # the pages' cookie
from quanzi.api.credentials import credentials_of, same_origin
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.idempotency import MAX_KEY_LENGTH, Created, HasId, Idempotency, create_once
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, Unauthorized
from quanzi.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Window
from quanzi.kit.wire import Id
from quanzi.services import Services

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are `async def` on purpose: FastAPI runs plain functions in a thread pool,
# which costs a thread hand-off per request.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _principal(request: Request) -> Principal | None:
    services: Services = request.app.state.services
    given = credentials_of(request.scope, query=False, cookie=True)
    if given.token is None:
        return None
    if not given.by_cookie:
        principal = await services.auth.authenticate(given.token) if given.token else None
        if principal is None:
            raise Unauthorized(
                "The token is not valid (expired, revoked or mistyped).", code="invalid_token"
            )
        return admit(principal, Door.NATIVE)
    if request.method not in SAFE_METHODS and not same_origin(
        request.scope, services.settings.public_base
    ):
        raise Forbidden("Cross-site request refused.", code="csrf")
    principal = await services.auth.authenticate(given.token)
    return admit(principal, Door.NATIVE) if principal is not None else None


async def require_viewer(request: Request) -> Principal:
    """The caller, who must be logged in (bearer token, or the cookie from our own pages)."""
    principal = await _principal(request)
    if principal is None:
        raise Unauthorized()
    return principal


async def optional_viewer(request: Request) -> Principal | None:
    """The caller if logged in, else None."""
    return await _principal(request)


# One flat dependency each: FastAPI's dependency solving costs per level on every request.
Viewer = Annotated[Principal, Depends(require_viewer)]
MaybeViewer = Annotated[Principal | None, Depends(optional_viewer)]
AUTH_DEPENDENCIES = (require_viewer, optional_viewer)


async def _window(
    max_id: Annotated[Id | None, Query(description="Only items older than this id")] = None,
    since_id: Annotated[Id | None, Query(description="Only items newer than this id")] = None,
    min_id: Annotated[
        Id | None, Query(description="Only items newer than this id, the oldest of them first")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Window:
    return Window(max_id=max_id, since_id=since_id, min_id=min_id, limit=limit)


PageWindow = Annotated[Window, Depends(_window)]

IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[\x21-\x7e]+$",
        description="Retrying a create with the same key returns the original object.",
    ),
]


async def idempotency_of(
    request: Request, key: str | None, principal: Principal | None, content: bytes | None = None
) -> Idempotency | None:
    """The idempotency record for this request, fingerprinted by method, path and body (or
    `content`, for a multipart upload whose stream the form parser has consumed)."""
    if key is None:
        return None
    body = content if content is not None else await request.body()
    return Idempotency.of(
        key,
        [request.method.encode(), request.url.path.encode(), body],
        principal.account_id if principal else 0,
    )


def replayed(response: Response, was_replayed: bool) -> None:
    """Mark a response that replays an earlier create (same Idempotency-Key)."""
    if was_replayed:
        response.headers["Idempotent-Replayed"] = "true"


R = TypeVar("R", bound=HasId)


class Once:
    """A native create that may be retried: the endpoint states what it creates and how,
    `await once(viewer, "post", create)`, and gets what `create` returned, or, for a retry with
    the same Idempotency-Key, the original's id (see domain/idempotency.py). The response is
    marked `Idempotent-Replayed` then."""

    __slots__ = ("_key", "_request", "_response")

    def __init__(self, request: Request, response: Response, key: str | None) -> None:
        self._request, self._response, self._key = request, response, key

    async def __call__(
        self, viewer: Principal, kind: str, create: Callable[[Tx], Awaitable[R]]
    ) -> Created[R]:
        services: Services = self._request.app.state.services
        idem = await idempotency_of(self._request, self._key, viewer)
        done = await create_once(services, idem, kind, create)
        replayed(self._response, done.replayed)
        return done


async def _once(request: Request, response: Response, key: IdempotencyHeader = None) -> Once:
    return Once(request, response, key)


# Flat, like Viewer: the endpoint asks for the viewer itself and hands it over.
CreateOnce = Annotated[Once, Depends(_once)]
