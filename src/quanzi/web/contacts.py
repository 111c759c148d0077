"""The Contacts tab: friends by label and by name, new friends (friend requests), labels,
follows and blocks, finding people, and a person's profile page (where a scanned QR code
lands, so it works for someone who is not a contact yet).

Every rule is the domain's: who may be seen (a blocker looks like nobody: the same 404 as a
missing account), who may be found by number or handle, what a request does. Views only pick
the template; after a form they go back to the page it came from.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from quanzi.domain.accounts.queries import view_account
from quanzi.domain.contacts import actions, queries
from quanzi.domain.contacts.shapes import FriendRead, FriendRequestRead
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.page import MemberPage, Page, WebRoute, redirect, render, show

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FOLLOWS_PAGE = 50
REQUESTS_PAGE = 50
SEARCH_LIMIT = 30

IdList = Annotated[list[int] | None, Form()]
Cursor = Annotated[Id | None, Query()]


def shown_name(friend: FriendRead) -> str:
    return friend.remark or friend.account.display_name or friend.account.handle


def by_name(friends: list[FriendRead]) -> list[FriendRead]:
    """The contact list's order: by the name I see (my remark, else theirs)."""
    return sorted(friends, key=lambda f: (shown_name(f).casefold(), f.account.handle))


def _back(target: str, default: str) -> str:
    """Where a form asked to go back to: only a page of this site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


# The contact list


async def _home(page: Page) -> dict[str, Any]:
    async with page.services.read() as tx:
        friends = by_name(await queries.list_friends(tx, page.principal))
        labels = await queries.list_labels(tx, page.principal)
        pending = await queries.count_incoming_requests(tx, page.principal)
    known = {int(f.account.id): f for f in friends}
    groups = [
        (label, by_name([known[m] for m in members if m in known])) for label, members in labels
    ]
    return {"friends": friends, "groups": groups, "pending": pending}


@router.get("/contacts")
async def contact_list(page: MemberPage) -> Response:
    return await show(page, "contacts/list.html", tab="contacts", **await _home(page))


@router.get("/contacts/list")
async def contact_list_fragment(page: MemberPage) -> Response:
    return render(page, "contacts/_home.html", **await _home(page))


# New friends: friend requests


async def _requests(page: Page) -> dict[str, Any]:
    me = page.principal
    async with page.services.read() as tx:
        incoming = await queries.list_friend_requests(
            tx, me, incoming=True, window=Window(limit=REQUESTS_PAGE), pending_only=False
        )
        outgoing = await queries.list_friend_requests(
            tx, me, incoming=False, window=Window(limit=REQUESTS_PAGE)
        )
        labels = await queries.list_labels(tx, me)
        now = tx.now

    def read(pairs: Any) -> list[FriendRequestRead]:
        return [
            FriendRequestRead.of(r, me.account_id, a, page.services.media_urls, now)
            for r, a in pairs
        ]

    return {
        "incoming": read(incoming.items),
        "outgoing": read(outgoing.items),
        "labels": [label for label, _members in labels],
    }


@router.get("/contacts/requests")
async def friend_requests(page: MemberPage) -> Response:
    return await show(page, "contacts/requests.html", tab="contacts", **await _requests(page))


@router.get("/contacts/requests/list")
async def friend_requests_fragment(page: MemberPage) -> Response:
    return render(page, "contacts/_requests.html", **await _requests(page))


@router.post("/contacts/requests/{request_id}/accept")
async def accept_request(
    request_id: Id,
    page: MemberPage,
    remark: Annotated[str, Form(max_length=200)] = "",
    label_ids: IdList = None,
) -> Response:
    async with page.services.write() as tx:
        await actions.do_accept_friend_request(
            tx, page.principal, request_id, remark=remark, label_ids=list(label_ids or [])
        )
    return redirect(page, "/contacts/requests")


@router.post("/contacts/requests/{request_id}/decline")
async def decline_request(request_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_decline_friend_request(tx, page.principal, request_id)
    return redirect(page, "/contacts/requests")


# Finding people


@router.get("/contacts/search")
async def search(page: MemberPage, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    async with page.services.read() as tx:
        found = await queries.find_people(tx, page.principal, q, SEARCH_LIMIT) if q else []
    return await show(page, "contacts/search.html", tab="contacts", q=q, found=found)


# Labels


@router.get("/contacts/labels")
async def labels(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        friends = by_name(await queries.list_friends(tx, page.principal))
        found = await queries.list_labels(tx, page.principal)
    known = {int(f.account.id): f for f in friends}
    rows = [(label, [known[m] for m in members if m in known]) for label, members in found]
    return await show(page, "contacts/labels.html", tab="contacts", labels=rows, friends=friends)


@router.post("/contacts/labels")
async def create_label(
    page: MemberPage, name: Annotated[str, Form(max_length=100)], member_ids: IdList = None
) -> Response:
    async with page.services.write() as tx:
        await actions.do_create_label(tx, page.principal, name, list(member_ids or []))
    return redirect(page, "/contacts/labels")


@router.get("/contacts/labels/{label_id}")
async def label(label_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        found = await queries.access_label(tx, page.principal, label_id)
        friends = by_name(await queries.list_friends(tx, page.principal))
        labels = await queries.list_labels(tx, page.principal)
    members = next((ids for lab, ids in labels if lab.id == found.id), [])
    return await show(
        page,
        "contacts/label.html",
        tab="contacts",
        label=found,
        members=set(members),
        friends=friends,
    )


@router.post("/contacts/labels/{label_id}")
async def update_label(
    label_id: Id,
    page: MemberPage,
    name: Annotated[str, Form(max_length=100)],
    member_ids: IdList = None,
) -> Response:
    async with page.services.write() as tx:
        await actions.do_update_label(
            tx, page.principal, label_id, name=name, member_ids=list(member_ids or [])
        )
    return redirect(page, "/contacts/labels")


@router.post("/contacts/labels/{label_id}/delete")
async def delete_label(label_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_delete_label(tx, page.principal, label_id)
    return redirect(page, "/contacts/labels")


# Following and followers


@router.get("/contacts/following")
async def following(page: MemberPage, max_id: Cursor = None) -> Response:
    return await _follows(page, "following", max_id)


@router.get("/contacts/followers")
async def followers(page: MemberPage, max_id: Cursor = None) -> Response:
    return await _follows(page, "followers", max_id)


async def _follows(
    page: Page, which: Literal["following", "followers"], max_id: int | None
) -> Response:
    me = page.principal
    window = Window(max_id=max_id, limit=FOLLOWS_PAGE)
    async with page.services.read() as tx:
        listed = await queries.list_follows(
            tx, me, me.account_id, followers=which == "followers", window=window
        )
        waiting = (
            await queries.list_follows(
                tx, me, me.account_id, followers=True, window=Window(limit=100), status="pending"
            )
            if which == "followers" and max_id is None
            else None
        )
    return await show(
        page,
        "contacts/follows.html",
        tab="contacts",
        which=which,
        people=[account for _follow, account in listed.items],
        more=listed.next_max_id,
        waiting=[account for _follow, account in waiting.items] if waiting else [],
    )


@router.post("/contacts/follow-requests/{account_id}/accept")
async def accept_follow(account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_accept_follow(tx, page.principal, account_id)
    return redirect(page, "/contacts/followers")


@router.post("/contacts/follow-requests/{account_id}/decline")
async def decline_follow(account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_decline_follow(tx, page.principal, account_id)
    return redirect(page, "/contacts/followers")


@router.post("/contacts/followers/{account_id}/remove")
async def remove_follower(account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_remove_follower(tx, page.principal, account_id)
    return redirect(page, "/contacts/followers")


# Blocked


@router.get("/contacts/blocked")
async def blocked(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        people = await queries.list_blocks(tx, page.principal)
    return await show(page, "contacts/blocked.html", tab="contacts", people=people)


# A person's profile, and what I can do about them


@router.get("/people/{account_id}")
async def profile(
    account_id: Id,
    page: MemberPage,
    added: Annotated[Literal["friends", "sent"] | None, Query()] = None,
) -> Response:
    me = page.principal
    relation = friend = None
    label_names: list[str] = []
    async with page.services.read() as tx:
        person = await view_account(tx, me, account_id)
        if account_id != me.account_id:
            relation = await queries.relationship(tx, me, account_id)
            if relation.contact:
                friend = await queries.get_friend(tx, me, account_id)
                mine = set(friend.label_ids)
                label_names = [
                    lab.name for lab, _m in await queries.list_labels(tx, me) if lab.id in mine
                ]
    return await show(
        page,
        "contacts/profile.html",
        tab="contacts",
        person=person,
        relation=relation,
        friend=friend,
        label_names=label_names,
        added=added,
        **await _home(page),  # the contact list beside the profile on a desktop
    )


@router.get("/people/{account_id}/add")
async def add_form(account_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        person = await view_account(tx, page.principal, account_id)
        found = await queries.list_labels(tx, page.principal)
    return await show(
        page,
        "contacts/add.html",
        tab="contacts",
        person=person,
        labels=[lab for lab, _members in found],
    )


@router.post("/people/{account_id}/add")
async def add_friend(
    account_id: Id,
    page: MemberPage,
    greeting: Annotated[str, Form(max_length=1000)] = "",
    remark: Annotated[str, Form(max_length=200)] = "",
    label_ids: IdList = None,
) -> Response:
    _request, friends = await actions.send_friend_request(
        page.services,
        page.principal,
        account_id,
        greeting=greeting,
        remark=remark,
        label_ids=list(label_ids or []),
    )
    return redirect(page, f"/people/{account_id}?added={'friends' if friends else 'sent'}")


@router.get("/people/{account_id}/remark")
async def remark_form(account_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        friend = await queries.get_friend(tx, page.principal, account_id)
        found = await queries.list_labels(tx, page.principal)
    return await show(
        page,
        "contacts/remark.html",
        tab="contacts",
        friend=friend,
        labels=[lab for lab, _members in found],
    )


@router.post("/people/{account_id}/remark")
async def set_remark(
    account_id: Id,
    page: MemberPage,
    remark: Annotated[str, Form(max_length=200)] = "",
    label_ids: IdList = None,
) -> Response:
    async with page.services.write() as tx:
        await actions.do_update_friend(
            tx, page.principal, account_id, remark=remark, label_ids=list(label_ids or [])
        )
    return redirect(page, f"/people/{account_id}")


@router.post("/people/{account_id}/remove")
async def remove_friend(account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_remove_friend(tx, page.principal, account_id)
    return redirect(page, "/contacts")


Next = Annotated[str, Form(max_length=2000)]


@router.post("/people/{account_id}/follow")
async def follow(account_id: Id, page: MemberPage, next: Next = "") -> Response:
    async with page.services.write() as tx:
        await actions.do_follow(tx, page.principal, account_id)
    return redirect(page, _back(next, f"/people/{account_id}"))


@router.post("/people/{account_id}/unfollow")
async def unfollow(account_id: Id, page: MemberPage, next: Next = "") -> Response:
    async with page.services.write() as tx:
        await actions.do_unfollow(tx, page.principal, account_id)
    return redirect(page, _back(next, f"/people/{account_id}"))


@router.post("/people/{account_id}/block")
async def block(account_id: Id, page: MemberPage, next: Next = "") -> Response:
    async with page.services.write() as tx:
        await actions.do_block(tx, page.principal, account_id)
    return redirect(page, _back(next, f"/people/{account_id}"))


@router.post("/people/{account_id}/unblock")
async def unblock(account_id: Id, page: MemberPage, next: Next = "") -> Response:
    async with page.services.write() as tx:
        await actions.do_unblock(tx, page.principal, account_id)
    return redirect(page, _back(next, f"/people/{account_id}"))
