"""Accounts: me (verify / update credentials), registration, profiles, their statuses,
followers and following, follow / unfollow, block / unblock, relationships, search, follow
requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from quanzi.api.deps import ServicesDep, client_ip
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import (
    MaybeAccountReader,
    MaybeReader,
    Profile,
    ReadBlocks,
    ReadFollows,
    WriteAccounts,
    WriteBlocks,
    WriteFollows,
    any_caller,
)
from quanzi.api.mastodon.common import (
    V1,
    AccountWindow,
    MastodonRoute,
    MastoJSON,
    Params,
    StatusWindow,
    paged,
    path_id,
)
from quanzi.api.mastodon.entities import Entity, relationship
from quanzi.domain.accounts import actions, oauth
from quanzi.domain.accounts import queries as account_queries
from quanzi.domain.accounts.actions import ProfileChanges, Registration
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.oauth import AppCaller
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.contacts import actions as contacts
from quanzi.domain.contacts import queries as contact_queries
from quanzi.domain.media.actions import upload_image
from quanzi.domain.square import queries as square
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, Invalid, NotFound
from quanzi.kit.pagination import Page
from quanzi.services import Services

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)
ACCOUNT = f"{V1}/accounts/{{account_id}}"


async def _credential(tx: Tx, viewer: Principal) -> Entity:
    row = await account_queries.view_own_account(tx, viewer)
    entity = await render.one_account(tx, row)
    entity["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": None,
        "note": row.bio,
        "fields": [],
        "follow_requests_count": 0,
    }
    entity["role"] = {
        "id": "0",
        "name": row.role,
        "permissions": "0",
        "color": "",
        "highlighted": False,
    }
    return entity


@router.get(f"{V1}/accounts/verify_credentials")
async def verify_credentials(viewer: Profile, services: ServicesDep) -> Response:
    async with services.read() as tx:
        return MastoJSON(await _credential(tx, viewer))


@router.patch(f"{V1}/accounts/update_credentials")
async def update_credentials(
    request: Request, viewer: WriteAccounts, services: ServicesDep
) -> Response:
    params = await Params.of(request)
    changes: dict[str, object] = {}
    if "display_name" in params.values:
        changes["display_name"] = params.text("display_name") or ""
    if "note" in params.values:
        changes["bio"] = params.text("note") or ""
    if "locked" in params.values:
        changes["locked"] = params.flag("locked")
    if "discoverable" in params.values:
        changes["find_in_search"] = params.flag("discoverable")
    avatar = params.values.get("avatar")
    if isinstance(avatar, UploadFile):
        media, _ = await upload_image(services, viewer, await avatar.read())
        changes["avatar_id"] = media.id
    async with services.write() as tx:
        await actions.do_update_profile(tx, viewer, ProfileChanges(**changes))  # type: ignore[arg-type]
    async with services.read() as tx:
        return MastoJSON(await _credential(tx, viewer))


@router.post(f"{V1}/accounts")
async def register(request: Request, services: ServicesDep) -> Response:
    """Sign up through an app (with the app's own token), as registration on this server
    allows; answers with a token for the new account."""
    caller = await any_caller("write:accounts")(request)
    if not isinstance(caller, AppCaller):
        raise Forbidden("Register with an app token (client credentials).", code="app_token_needed")
    params = await Params.of(request)
    if not params.flag("agreement"):
        raise Invalid("Agree to the server's rules to register.", code="agreement_missing")
    handle = params.text("username") or ""
    account, _ = await actions.register(
        services,
        Registration(
            handle=handle,
            password=params.text("password") or "",
            display_name=handle,
            email=params.text("email") or None,
            invite_code=params.text("invite_code") or None,
        ),
        ip=client_ip(request),
    )
    async with services.write() as tx:
        issued = await oauth.do_open_app_session(
            tx, caller.app, account.id, oauth.app_scopes(caller.app) & caller.scopes
        )
    return MastoJSON(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "scope": " ".join(sorted(issued.scopes)),
            "created_at": issued.created_at_s,
        }
    )


@router.get(f"{V1}/accounts/lookup")
async def lookup(acct: str, viewer: MaybeAccountReader, services: ServicesDep) -> Response:
    handle = acct.strip().removeprefix("@").split("@", 1)[0]  # "alice" or "alice@domain"
    async with services.read() as tx:
        found = await account_queries.lookup_account(tx, viewer, handle=handle)
        return MastoJSON(await render.one_account(tx, AccountRow.of(found)))


@router.get(f"{V1}/accounts/search")
async def search(
    q: str, viewer: MaybeAccountReader, services: ServicesDep, limit: int = 40
) -> Response:
    async with services.read() as tx:
        found = await contact_queries.search_accounts(tx, viewer, q[:100], max(1, min(limit, 80)))
        return MastoJSON(await render.accounts(tx, [AccountRow.of(a) for a in found]))


@router.get(f"{V1}/accounts/relationships")
async def relationships(request: Request, viewer: ReadFollows, services: ServicesDep) -> Response:
    ids = [v for k, v in request.query_params.multi_items() if k in ("id", "id[]")]
    out = []
    async with services.read() as tx:
        for raw in ids[:40]:
            try:
                out.append(await _relationship(tx, viewer, path_id(raw)))
            except NotFound:
                continue  # an unknown or hidden account is left out
    return MastoJSON(out)


async def _relationship(tx: Tx, viewer: Principal, other: int) -> Entity:
    r = await contact_queries.relationship(tx, viewer, other)
    return relationship(
        other,
        following=r.following,
        requested=r.follow_requested,
        followed_by=r.followed_by,
        blocking=r.blocking,
        note=r.remark,
    )


@router.get(f"{V1}/accounts/familiar_followers")
async def familiar_followers(viewer: ReadFollows) -> Response:
    return MastoJSON([])


@router.get(ACCOUNT)
async def get_account(
    account_id: str, viewer: MaybeAccountReader, services: ServicesDep
) -> Response:
    async with services.read() as tx:
        row = await account_queries.view_account(tx, viewer, path_id(account_id))
        return MastoJSON(await render.one_account(tx, row))


@router.get(f"{ACCOUNT}/statuses")
async def account_statuses(
    account_id: str,
    request: Request,
    viewer: MaybeReader,
    services: ServicesDep,
    window: StatusWindow,
) -> Response:
    params = Params(dict(request.query_params))
    if params.flag("pinned") or params.flag("only_media"):
        return paged(request, [], Page([], None, None))  # no pinned posts; media filter: none
    async with services.read() as tx:
        page = await square.account_timeline(tx, viewer, path_id(account_id), window)
        items = await render.statuses(tx, viewer, page.items)
        if params.flag("exclude_reblogs"):
            items = [s for s in items if s["reblog"] is None]
        return paged(request, items, page)


async def _follows(
    request: Request,
    viewer: Principal | None,
    services: ServicesDep,
    account_id: str,
    window: AccountWindow,
    followers: bool,
) -> Response:
    async with services.read() as tx:
        page = await contact_queries.list_follows(
            tx, viewer, path_id(account_id), followers=followers, window=window
        )
        rows = [AccountRow.of(a) for _, a in page.items]
        return paged(request, await render.accounts(tx, rows), page)


@router.get(f"{ACCOUNT}/followers")
async def followers(
    account_id: str,
    request: Request,
    viewer: MaybeAccountReader,
    services: ServicesDep,
    window: AccountWindow,
) -> Response:
    return await _follows(request, viewer, services, account_id, window, True)


@router.get(f"{ACCOUNT}/following")
async def following(
    account_id: str,
    request: Request,
    viewer: MaybeAccountReader,
    services: ServicesDep,
    window: AccountWindow,
) -> Response:
    return await _follows(request, viewer, services, account_id, window, False)


async def _then_relationship(
    services: Services,
    viewer: Principal,
    account_id: str,
    act: Callable[[Tx, Principal, int], Awaitable[object]],
) -> Response:
    """Do `act` to another account, then answer with where the two now stand."""
    other = path_id(account_id)
    async with services.write() as tx:
        await act(tx, viewer, other)
    async with services.read() as tx:
        return MastoJSON(await _relationship(tx, viewer, other))


@router.post(f"{ACCOUNT}/follow")
async def follow(account_id: str, viewer: WriteFollows, services: ServicesDep) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_follow)


@router.post(f"{ACCOUNT}/unfollow")
async def unfollow(account_id: str, viewer: WriteFollows, services: ServicesDep) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_unfollow)


@router.post(f"{ACCOUNT}/block")
async def block(account_id: str, viewer: WriteBlocks, services: ServicesDep) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_block)


@router.post(f"{ACCOUNT}/unblock")
async def unblock(account_id: str, viewer: WriteBlocks, services: ServicesDep) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_unblock)


@router.get(f"{V1}/blocks")
async def blocks(viewer: ReadBlocks, services: ServicesDep) -> Response:
    async with services.read() as tx:
        found = await contact_queries.list_blocks(tx, viewer)
        return MastoJSON(await render.accounts(tx, [AccountRow.of(a) for a in found]))


@router.get(f"{V1}/follow_requests")
async def follow_requests(
    request: Request, viewer: ReadFollows, services: ServicesDep, window: AccountWindow
) -> Response:
    async with services.read() as tx:
        page = await contact_queries.list_follows(
            tx, viewer, viewer.account_id, followers=True, window=window, status="pending"
        )
        rows = [AccountRow.of(a) for _, a in page.items]
        return paged(request, await render.accounts(tx, rows), page)


@router.post(f"{V1}/follow_requests/{{account_id}}/authorize")
async def authorize_follow(
    account_id: str, viewer: WriteFollows, services: ServicesDep
) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_accept_follow)


@router.post(f"{V1}/follow_requests/{{account_id}}/reject")
async def reject_follow(account_id: str, viewer: WriteFollows, services: ServicesDep) -> Response:
    return await _then_relationship(services, viewer, account_id, contacts.do_decline_follow)
