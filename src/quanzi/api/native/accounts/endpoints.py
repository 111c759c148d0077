"""Accounts, sessions (log in / out) and invites."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from quanzi.api.deps import (
    SESSION_COOKIE,
    IdempotencyHeader,
    MaybeViewer,
    PageWindow,
    ServicesDep,
    Viewer,
    client_ip,
    idempotency_of,
    replayed,
)
from quanzi.api.native.accounts.schemas import (
    AccountCreate,
    AccountDelete,
    InviteCreate,
    LoginRequest,
    LoginResponse,
    PasswordChange,
    ProfileUpdate,
)
from quanzi.api.native.common import ERRORS, PREFIX, PageOut
from quanzi.api.native.contacts.schemas import AccountList
from quanzi.domain.accounts import actions, queries
from quanzi.domain.accounts.shapes import AccountPublic, AccountSelf, InviteRead, SessionRead
from quanzi.domain.contacts.queries import search_accounts
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["accounts"], responses=ERRORS)  # type: ignore[arg-type]


@router.post("/accounts", status_code=201, summary="Register")
async def register(
    body: AccountCreate,
    request: Request,
    response: Response,
    services: ServicesDep,
    key: IdempotencyHeader = None,
) -> AccountSelf:
    account, again = await actions.register(
        services,
        actions.Registration(**body.model_dump()),
        ip=client_ip(request),
        idempotency=await idempotency_of(request, key, None),
    )
    replayed(response, again)
    return AccountSelf.of(account, services.media_urls)


@router.get("/accounts/me", summary="My account")
async def get_me(viewer: Viewer, services: ServicesDep) -> AccountSelf:
    async with services.read() as tx:
        account = await queries.view_own_account(tx, viewer)
    return AccountSelf.of(account, services.media_urls)


@router.patch("/accounts/me", summary="Edit my profile and privacy settings")
async def update_me(body: ProfileUpdate, viewer: Viewer, services: ServicesDep) -> AccountSelf:
    async with services.write() as tx:
        account = await actions.do_update_profile(tx, viewer, body.changes())
    return AccountSelf.of(account, services.media_urls)


@router.post("/accounts/me/password", status_code=204, summary="Change my password")
async def change_password(body: PasswordChange, viewer: Viewer, services: ServicesDep) -> None:
    await actions.change_password(services, viewer, body.current_password, body.new_password)


@router.delete("/accounts/me", status_code=204, summary="Delete my account and erase its data")
async def delete_me(
    body: AccountDelete, viewer: Viewer, services: ServicesDep, response: Response
) -> None:
    await actions.delete_account(services, viewer, body.password)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/accounts/lookup", summary="Find an account by handle or account number")
async def lookup(
    viewer: MaybeViewer,
    services: ServicesDep,
    handle: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
    number: Annotated[int | None, Query(ge=1, le=10**15)] = None,
) -> AccountPublic:
    async with services.read() as tx:
        account = await queries.lookup_account(tx, viewer, handle=handle, number=number)
    return AccountPublic.of(account, services.media_urls)


@router.get("/accounts/search", summary="Find people by handle or display name")
async def search(
    viewer: MaybeViewer,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> AccountList:
    async with services.read() as tx:
        found = await search_accounts(tx, viewer, q, limit)
    urls = services.media_urls
    return AccountList(items=[AccountPublic.of(a, urls) for a in found])


@router.get("/accounts/{account_id}", summary="An account's public profile")
async def get_account(account_id: Id, viewer: MaybeViewer, services: ServicesDep) -> AccountPublic:
    async with services.read() as tx:
        account = await queries.view_account(tx, viewer, account_id)
    return AccountPublic.of(account, services.media_urls)


# Sessions


@router.post("/sessions", status_code=201, tags=["sessions"], summary="Log in")
async def log_in(
    body: LoginRequest, request: Request, response: Response, services: ServicesDep
) -> LoginResponse:
    done = await actions.log_in(
        services,
        body.login,
        body.password,
        device_name=body.device_name or request.headers.get("user-agent", "")[:100],
        kind="web" if body.cookie else "api",
        ip=client_ip(request),
    )
    if body.cookie:
        response.set_cookie(
            SESSION_COOKIE,
            done.token,
            max_age=60 * 60 * 24 * 365,
            path="/",
            httponly=True,
            samesite="lax",
            secure=services.settings.secure_cookies or request.url.scheme == "https",
        )
    return LoginResponse(
        token=done.token,
        session=SessionRead.of(done.session, done.session.id),
        account=AccountSelf.of(done.account, services.media_urls),
    )


@router.get("/sessions", tags=["sessions"], summary="My logged-in devices")
async def list_sessions(
    viewer: Viewer, services: ServicesDep, window: PageWindow
) -> PageOut[SessionRead]:
    async with services.read() as tx:
        page = await queries.list_sessions(tx, viewer, window)
    return PageOut.of(page, lambda s: SessionRead.of(s, viewer.session_id))


@router.delete("/sessions/current", status_code=204, tags=["sessions"], summary="Log out")
async def log_out(viewer: Viewer, services: ServicesDep, response: Response) -> None:
    async with services.write() as tx:
        await actions.do_log_out(tx, viewer)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.delete("/sessions", status_code=204, tags=["sessions"], summary="Log out everywhere")
async def log_out_everywhere(
    viewer: Viewer,
    services: ServicesDep,
    response: Response,
    keep_current: bool = False,
) -> None:
    async with services.write() as tx:
        await actions.do_revoke_sessions(
            tx, viewer.account_id, keep=viewer.session_id if keep_current else None
        )
    if not keep_current:
        response.delete_cookie(SESSION_COOKIE, path="/")


@router.delete(
    "/sessions/{session_id}", status_code=204, tags=["sessions"], summary="Log out one device"
)
async def revoke_session(session_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_revoke_session(tx, viewer, session_id)


# Invites


@router.post("/invites", status_code=201, tags=["invites"], summary="Create an invite (admins)")
async def create_invite(body: InviteCreate, viewer: Viewer, services: ServicesDep) -> InviteRead:
    hours = body.expires_in_hours
    async with services.write() as tx:
        invite = await actions.do_create_invite(
            tx,
            viewer,
            max_uses=body.max_uses,
            expires_in=timedelta(hours=hours) if hours else None,
        )
    return InviteRead.of(invite)


@router.get("/invites", tags=["invites"], summary="Invites I created")
async def list_invites(
    viewer: Viewer, services: ServicesDep, window: PageWindow
) -> PageOut[InviteRead]:
    async with services.read() as tx:
        page = await queries.list_invites(tx, viewer, window)
    return PageOut.of(page, InviteRead.of)


@router.delete("/invites/{code}", status_code=204, tags=["invites"], summary="Withdraw an invite")
async def delete_invite(code: str, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_delete_invite(tx, viewer, code[:64])
