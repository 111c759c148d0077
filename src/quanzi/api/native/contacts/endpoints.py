"""Friends, friend requests, labels, follows, blocks and relationships."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from quanzi.api.deps import MaybeViewer, PageWindow, ServicesDep, Viewer
from quanzi.api.native.common import ERRORS, PREFIX, PageOut
from quanzi.api.native.contacts.schemas import (
    AccountList,
    FriendList,
    FriendRequestAccept,
    FriendRequestCreate,
    FriendUpdate,
    LabelCreate,
    LabelList,
    LabelUpdate,
)
from quanzi.domain.accounts.queries import access_account
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.contacts import actions, queries
from quanzi.domain.contacts.shapes import (
    FollowRead,
    FriendRead,
    FriendRequestRead,
    FriendRequestResult,
    LabelRead,
    Relationship,
)
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["contacts"], responses=ERRORS)  # type: ignore[arg-type]


# Friend requests


@router.post("/friend-requests", status_code=201, summary="Ask someone to be friends")
async def send_request(
    body: FriendRequestCreate, viewer: Viewer, services: ServicesDep
) -> FriendRequestResult:
    request, friends = await actions.send_friend_request(
        services,
        viewer,
        body.account_id,
        greeting=body.greeting,
        remark=body.remark,
        label_ids=body.label_ids,
    )
    async with services.read() as tx:
        other = await access_account(tx, viewer, body.account_id)
        read = FriendRequestRead.of(request, viewer.account_id, other, services.media_urls, tx.now)
    return FriendRequestResult(request=read, friends=friends)


@router.get("/friend-requests", summary="Pending friend requests to or from me")
async def list_requests(
    viewer: Viewer,
    services: ServicesDep,
    window: PageWindow,
    direction: Literal["incoming", "outgoing"] = "incoming",
) -> PageOut[FriendRequestRead]:
    async with services.read() as tx:
        page = await queries.list_friend_requests(
            tx, viewer, incoming=direction == "incoming", window=window
        )
        urls, now = services.media_urls, tx.now
    return PageOut.of(
        page, lambda pair: FriendRequestRead.of(pair[0], viewer.account_id, pair[1], urls, now)
    )


@router.post("/friend-requests/{request_id}/accept", summary="Accept a friend request")
async def accept_request(
    request_id: Id, body: FriendRequestAccept, viewer: Viewer, services: ServicesDep
) -> FriendRead:
    async with services.write() as tx:
        request = await actions.do_accept_friend_request(
            tx, viewer, request_id, remark=body.remark, label_ids=body.label_ids
        )
    async with services.read() as tx:
        return await queries.get_friend(tx, viewer, request.from_id)


@router.post(
    "/friend-requests/{request_id}/decline",
    status_code=204,
    summary="Decline a friend request (the sender is not told)",
)
async def decline_request(request_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_decline_friend_request(tx, viewer, request_id)


# Friends and labels


@router.get("/friends", summary="My contacts, with remarks and labels")
async def list_friends(viewer: Viewer, services: ServicesDep) -> FriendList:
    async with services.read() as tx:
        return FriendList(items=await queries.list_friends(tx, viewer))


@router.get("/friends/{account_id}", summary="One of my contacts")
async def get_friend(account_id: Id, viewer: Viewer, services: ServicesDep) -> FriendRead:
    async with services.read() as tx:
        return await queries.get_friend(tx, viewer, account_id)


@router.patch("/friends/{account_id}", summary="Set a contact's remark and labels")
async def update_friend(
    account_id: Id, body: FriendUpdate, viewer: Viewer, services: ServicesDep
) -> FriendRead:
    async with services.write() as tx:
        await actions.do_update_friend(
            tx, viewer, account_id, remark=body.remark, label_ids=body.label_ids
        )
    async with services.read() as tx:
        return await queries.get_friend(tx, viewer, account_id)


@router.delete(
    "/friends/{account_id}", status_code=204, summary="Remove a contact (one-sided, as WeChat)"
)
async def remove_friend(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_remove_friend(tx, viewer, account_id)


@router.get("/labels", summary="My labels and who is in each")
async def list_labels(viewer: Viewer, services: ServicesDep) -> LabelList:
    async with services.read() as tx:
        labels = await queries.list_labels(tx, viewer)
    return LabelList(items=[LabelRead.of(label, members) for label, members in labels])


@router.post("/labels", status_code=201, summary="Create a label")
async def create_label(body: LabelCreate, viewer: Viewer, services: ServicesDep) -> LabelRead:
    async with services.write() as tx:
        label = await actions.do_create_label(tx, viewer, body.name, body.member_ids)
    return await _label(services, viewer, label.id)


@router.patch("/labels/{label_id}", summary="Rename a label or set its members")
async def update_label(
    label_id: Id, body: LabelUpdate, viewer: Viewer, services: ServicesDep
) -> LabelRead:
    async with services.write() as tx:
        await actions.do_update_label(
            tx, viewer, label_id, name=body.name, member_ids=body.member_ids
        )
    return await _label(services, viewer, label_id)


@router.delete("/labels/{label_id}", status_code=204, summary="Delete a label")
async def delete_label(label_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_delete_label(tx, viewer, label_id)


async def _label(services: ServicesDep, viewer: Viewer, label_id: int) -> LabelRead:
    async with services.read() as tx:
        labels = await queries.list_labels(tx, viewer)
    label, members = next((lab, m) for lab, m in labels if lab.id == label_id)
    return LabelRead.of(label, members)


# Follows


@router.post("/accounts/{account_id}/follow", summary="Follow (a locked account approves first)")
async def follow(account_id: Id, viewer: Viewer, services: ServicesDep) -> Relationship:
    async with services.write() as tx:
        await actions.do_follow(tx, viewer, account_id)
        return await queries.relationship(tx, viewer, account_id)


@router.delete("/accounts/{account_id}/follow", summary="Unfollow")
async def unfollow(account_id: Id, viewer: Viewer, services: ServicesDep) -> Relationship:
    async with services.write() as tx:
        await actions.do_unfollow(tx, viewer, account_id)
        return await queries.relationship(tx, viewer, account_id)


async def _follow_page(
    services: ServicesDep,
    viewer: Viewer | None,
    account_id: int,
    window: PageWindow,
    *,
    followers: bool,
    status: str = "active",
) -> PageOut[FollowRead]:
    async with services.read() as tx:
        page = await queries.list_follows(
            tx, viewer, account_id, followers=followers, window=window, status=status
        )
    urls = services.media_urls
    return PageOut.of(
        page,
        lambda pair: FollowRead(
            id=pair[0].id,
            account=AccountPublic.of(pair[1], urls),
            status=pair[0].status,
            since=pair[0].created_at,
        ),
    )


@router.get("/accounts/{account_id}/followers", summary="Who follows an account")
async def followers(
    account_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> PageOut[FollowRead]:
    return await _follow_page(services, viewer, account_id, window, followers=True)


@router.get("/accounts/{account_id}/following", summary="Whom an account follows")
async def following(
    account_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> PageOut[FollowRead]:
    return await _follow_page(services, viewer, account_id, window, followers=False)


@router.get("/follow-requests", summary="Follows waiting for my approval")
async def follow_requests(
    viewer: Viewer, services: ServicesDep, window: PageWindow
) -> PageOut[FollowRead]:
    return await _follow_page(
        services, viewer, viewer.account_id, window, followers=True, status="pending"
    )


@router.post(
    "/follow-requests/{account_id}/accept", status_code=204, summary="Let someone follow me"
)
async def accept_follow(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_accept_follow(tx, viewer, account_id)


@router.post(
    "/follow-requests/{account_id}/decline", status_code=204, summary="Refuse a follow request"
)
async def decline_follow(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_decline_follow(tx, viewer, account_id)


@router.delete("/followers/{account_id}", status_code=204, summary="Remove a follower")
async def remove_follower(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_remove_follower(tx, viewer, account_id)


# Blocks and relationships


@router.get("/blocks", summary="Accounts I blocked")
async def list_blocks(viewer: Viewer, services: ServicesDep) -> AccountList:
    async with services.read() as tx:
        accounts = await queries.list_blocks(tx, viewer)
    urls = services.media_urls
    return AccountList(items=[AccountPublic.of(a, urls) for a in accounts])


@router.put("/blocks/{account_id}", status_code=204, summary="Block someone (silently)")
async def block(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_block(tx, viewer, account_id)


@router.delete("/blocks/{account_id}", status_code=204, summary="Unblock")
async def unblock(account_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await actions.do_unblock(tx, viewer, account_id)


@router.get("/accounts/{account_id}/relationship", summary="How I stand to an account")
async def relationship(account_id: Id, viewer: Viewer, services: ServicesDep) -> Relationship:
    async with services.read() as tx:
        return await queries.relationship(tx, viewer, account_id)
