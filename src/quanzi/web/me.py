"""The Me tab: my card and QR code, profile, privacy, language, devices, password,
notifications, and deleting the account.

The QR code is a name card (二维码名片): it holds the absolute address of my profile page
(`/people/{id}`, where whoever opens or scans it can send me a friend request), drawn by segno
as SVG for the page and as PNG to download.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Query, UploadFile
from fastapi.responses import Response

from quanzi.api.deps import SESSION_COOKIE
from quanzi.domain.accounts import actions, queries
from quanzi.domain.accounts.actions import ProfileChanges
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.media.actions import upload_image
from quanzi.domain.notifications import actions as notifications
from quanzi.domain.notifications import queries as notification_queries
from quanzi.domain.notifications.previews import data_id, preview_notifications
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.errors import QuanziError
from quanzi.kit.ids import MAX_ID
from quanzi.kit.pagination import Window
from quanzi.kit.wire import Id
from quanzi.web.i18n import _
from quanzi.web.page import (
    MemberPage,
    Page,
    WebRoute,
    finish,
    redirect,
    render,
    show,
    translate_error,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

NOTIFICATIONS_PAGE = 30
SESSIONS_PAGE = 100
MaxId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Flag = Annotated[bool, Form()]


@router.get("/me")
async def me(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        account = await queries.view_own_account(tx, page.principal)
    return await show(page, "me/index.html", tab="me", account=account)


# Profile


@router.get("/me/profile")
async def profile_form(page: MemberPage, saved: bool = False) -> Response:
    async with page.services.read() as tx:
        account = await queries.view_own_account(tx, page.principal)
    return await _profile_page(page, account, _form_of(account), saved=saved)


def _form_of(account: AccountRow) -> dict[str, str]:
    return {
        "display_name": account.display_name,
        "bio": account.bio,
        "region": account.region,
        "gender": account.gender or "",
    }


async def _profile_page(
    page: Page,
    account: AccountRow,
    form: dict[str, str],
    *,
    error: str = "",
    status: int = 200,
    saved: bool = False,
) -> Response:
    return await show(
        page,
        "me/profile.html",
        status=status,
        tab="me",
        account=account,
        form=form,
        error=error,
        saved=saved,
    )


@router.post("/me/profile")
async def save_profile(
    page: MemberPage,
    display_name: Annotated[str, Form(max_length=200)],
    bio: Annotated[str, Form(max_length=10_000)] = "",
    region: Annotated[str, Form(max_length=200)] = "",
    gender: Annotated[str, Form(max_length=10)] = "",
    remove_avatar: Flag = False,
    avatar: UploadFile | None = None,
) -> Response:
    form = {"display_name": display_name, "bio": bio, "region": region, "gender": gender}
    changes: dict[str, Any] = {
        "display_name": display_name,
        "bio": bio,
        "region": region,
        "gender": gender or None,
    }
    try:
        if avatar is not None and avatar.filename:
            media, _replayed = await upload_image(
                page.services, page.principal, await avatar.read()
            )
            changes["avatar_id"] = media.id
        elif remove_avatar:
            changes["avatar_id"] = None
        async with page.services.write() as tx:
            await actions.do_update_profile(tx, page.principal, ProfileChanges(**changes))
    except QuanziError as exc:
        async with page.services.read() as tx:
            account = await queries.view_own_account(tx, page.principal)
        return await _profile_page(
            page, account, form, error=translate_error(exc), status=exc.status
        )
    return redirect(page, "/me/profile?saved=1")


# QR code name card


def profile_url(page: Page) -> str:
    """The address a QR code of mine holds: my profile page, absolute."""
    return f"{page.base_url}/people/{page.principal.account_id}"


def qr_code(url: str) -> segno.QRCode:
    """A regular QR code (never a Micro QR, which phone cameras do not read)."""
    return segno.make(url, error="m", micro=False)


@router.get("/me/qr")
async def qr_page(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        account = await queries.view_own_account(tx, page.principal)
    return await show(page, "me/qr.html", tab="me", account=account, url=profile_url(page))


@router.get("/me/qr.svg")
async def qr_svg(page: MemberPage) -> Response:
    buffer = io.BytesIO()
    qr_code(profile_url(page)).save(
        buffer, kind="svg", scale=8, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    return finish(page, Response(buffer.getvalue(), media_type="image/svg+xml"))


@router.get("/me/qr.png")
async def qr_png(page: MemberPage) -> Response:
    buffer = io.BytesIO()
    qr_code(profile_url(page)).save(buffer, kind="png", scale=10, border=4)
    response = Response(buffer.getvalue(), media_type="image/png")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="quanzi-{page.principal.account_id}.png"'
    )
    return finish(page, response)


# Privacy


@router.get("/me/privacy")
async def privacy_form(page: MemberPage, saved: bool = False) -> Response:
    async with page.services.read() as tx:
        account = await queries.view_own_account(tx, page.principal)
    return await show(page, "me/privacy.html", tab="me", account=account, saved=saved)


@router.post("/me/privacy")
async def save_privacy(
    page: MemberPage,
    find_by_number: Flag = False,
    find_by_handle: Flag = False,
    find_in_search: Flag = False,
    add_needs_verification: Flag = False,
    allow_strangers: Flag = False,
    locked: Flag = False,
    show_presence: Flag = False,
    moments_window: Annotated[str, Form(max_length=3)] = "all",
) -> Response:
    changes = ProfileChanges(
        find_by_number=find_by_number,
        find_by_handle=find_by_handle,
        find_in_search=find_in_search,
        add_needs_verification=add_needs_verification,
        allow_strangers=allow_strangers,
        locked=locked,
        show_presence=show_presence,
        moments_window=moments_window,
    )
    async with page.services.write() as tx:
        await actions.do_update_profile(tx, page.principal, changes)
    return redirect(page, "/me/privacy?saved=1")


# New message notifications: Web Push on this device (static/push.js calls the native API)


@router.get("/me/alerts")
async def alerts(page: MemberPage) -> Response:
    return await show(page, "me/alerts.html", tab="me")


# Language (the choice itself is posted to /language, which sets the cookie)


@router.get("/me/language")
async def language_form(page: MemberPage) -> Response:
    return await show(page, "me/language.html", tab="me")


# Devices


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    name: str
    detail: str
    kind: str
    last_used_at: datetime
    current: bool


BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_name(name: str) -> str:
    """A browser's user agent as people say it ("Chrome on Windows"); other names as given."""
    if not name.startswith("Mozilla/"):
        return name
    browser = next((b for marker, b in BROWSERS if marker in name), None)
    system = next((s for marker, s in SYSTEMS if marker in name), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Web browser")


@router.get("/me/sessions")
async def sessions(page: MemberPage, max_id: MaxId = None) -> Response:
    viewer = page.principal
    async with page.services.read() as tx:
        found = await queries.list_sessions(tx, viewer, Window(max_id=max_id, limit=SESSIONS_PAGE))
    devices = [
        Device(
            id=s.id,
            name=device_name(s.device_name),
            detail=s.device_name,
            kind=s.kind,
            last_used_at=s.last_used_at,
            current=s.id == viewer.session_id,
        )
        for s in found.items
    ]
    devices.sort(key=lambda d: (not d.current, -d.last_used_at.timestamp()))
    return await show(page, "me/sessions.html", tab="me", devices=devices, older=found.next_max_id)


@router.post("/me/sessions/others/revoke")
async def revoke_other_sessions(page: MemberPage) -> Response:
    viewer = page.principal
    async with page.services.write() as tx:
        await actions.do_revoke_sessions(tx, viewer.account_id, keep=viewer.session_id)
    return redirect(page, "/me/sessions")


@router.post("/me/sessions/{session_id}/revoke")
async def revoke_session(session_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_revoke_session(tx, page.principal, session_id)
    return redirect(page, "/me/sessions")


# Password


@router.get("/me/password")
async def password_form(page: MemberPage, changed: bool = False) -> Response:
    return await show(page, "me/password.html", tab="me", error="", changed=changed)


@router.post("/me/password")
async def change_password(
    page: MemberPage,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    repeat_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    error, status = "", 200
    if new_password != repeat_password:
        error, status = _("The new passwords do not match."), 422
    else:
        try:
            await actions.change_password(
                page.services, page.principal, current_password, new_password
            )
        except QuanziError as exc:
            error, status = translate_error(exc), exc.status
    if error:
        return await show(
            page, "me/password.html", status=status, tab="me", error=error, changed=False
        )
    return redirect(page, "/me/password?changed=1")


# Deleting the account


@router.get("/me/delete")
async def delete_form(page: MemberPage) -> Response:
    return await show(page, "me/delete.html", tab="me", error="")


@router.post("/me/delete")
async def delete_account(
    page: MemberPage, password: Annotated[str, Form(max_length=1024)]
) -> Response:
    try:
        await actions.delete_account(page.services, page.principal, password)
    except QuanziError as exc:
        return await show(
            page, "me/delete.html", status=exc.status, tab="me", error=translate_error(exc)
        )
    response = redirect(page, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# Notifications


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification as a sentence in the reader's language, with a link to what it is about."""

    id: int
    kind: str
    read: bool
    created_at: datetime
    actor: AccountRow | None
    text: str
    href: str
    preview: str  # what it is about, in a few words (`preview_notifications`), shown escaped


def _chosen_name(account: AccountRow) -> str:
    return account.display_name or account.handle


def describe(
    n: NotificationRead,
    actor: AccountRow | None,
    preview: str = "",
    name: Callable[[AccountRow], str] = _chosen_name,
) -> Notice:
    """One notification: "李雷 liked your Moment", linked to the Moment; the actor named by
    `name` (the page's `Page.name`: my remark for them, else the name they chose)."""
    who = name(actor) if actor is not None and actor.status == "active" else _("Someone")
    data = n.data
    person = f"/people/{n.actor_id}" if n.actor_id else "/me/notifications"
    post, moment, chat = (
        data_id(data, "post_id"),
        data_id(data, "moment_id"),
        data_id(data, "conversation_id"),
    )
    post_href = f"/posts/{post}" if post else person
    comment = data_id(data, "comment_id")
    comment_href = f"{post_href}#c{comment}" if post and comment else post_href
    moment_href = f"/moments/{moment}" if moment else person
    moment_comment_href = f"{moment_href}#comment-{comment}" if moment and comment else moment_href
    chat_href = f"/chats/{chat}" if chat else "/chats"
    match n.kind:
        case "friend_request":
            text, href = (
                _("%(actor)s wants to add you as a friend", actor=who),
                "/contacts/requests",
            )
        case "friend_accepted":
            text, href = _("%(actor)s accepted your friend request", actor=who), person
        case "follow":
            text, href = _("%(actor)s followed you", actor=who), person
        case "follow_request":
            text, href = _("%(actor)s asked to follow you", actor=who), "/contacts/followers"
        case "follow_accepted":
            text, href = _("%(actor)s accepted your follow request", actor=who), person
        case "group_invite":
            group = str(data.get("name") or "")
            text = (
                _('%(actor)s invited you to the group "%(name)s"', actor=who, name=group)
                if group
                else _("%(actor)s invited you to a group chat", actor=who)
            )
            href = chat_href
        case "chat_mention":
            seq = data_id(data, "seq")
            text = _("%(actor)s mentioned you in a chat", actor=who)
            href = f"{chat_href}#m{seq}" if seq else chat_href
        case "mention":
            text, href = _("%(actor)s mentioned you in a post", actor=who), post_href
        case "comment":
            text, href = _("%(actor)s commented on your post", actor=who), comment_href
        case "reply":
            text, href = _("%(actor)s replied to your comment", actor=who), comment_href
        case "repost":
            text, href = _("%(actor)s reposted your post", actor=who), post_href
        case "like":
            text, href = _("%(actor)s liked your post", actor=who), post_href
        case "comment_like":
            text, href = _("%(actor)s liked your comment", actor=who), comment_href
        case "moment_like":
            text, href = _("%(actor)s liked your Moment", actor=who), moment_href
        case "moment_comment":
            text = _("%(actor)s commented on your Moment", actor=who)
            href = moment_comment_href
        case "moment_reply":
            text = _("%(actor)s replied to your comment in Moments", actor=who)
            href = moment_comment_href
        case _:
            text, href = _("%(actor)s sent you a notification", actor=who), person
    return Notice(n.id, n.kind, n.read, n.created_at, actor, text, href, preview)


async def _notices(page: Page, max_id: int | None) -> tuple[list[Notice], int | None]:
    """A page of my notifications, each with its preview; the unread ones shown are marked
    read as they are shown (they still look new on this page), which clears the badge."""
    await page.load_remarks()
    async with page.services.write() as tx:
        found = await notification_queries.list_notifications(
            tx, page.principal, Window(max_id=max_id, limit=NOTIFICATIONS_PAGE)
        )
        rows = [NotificationRead.of(n) for n in found.items]
        actors = await queries.load_account_rows(tx, {n.actor_id for n in rows if n.actor_id})
        previews = await preview_notifications(tx, page.principal, rows)
        unread = [n.id for n in rows if not n.read]
        if unread:
            await notifications.do_mark_read(tx, page.principal, up_to_id=None, ids=unread)
    notices = [
        describe(
            n, actors.get(n.actor_id) if n.actor_id else None, previews.get(n.id, ""), page.name
        )
        for n in rows
    ]
    return notices, found.next_max_id


@router.get("/me/notifications")
async def notification_list(page: MemberPage, max_id: MaxId = None) -> Response:
    notices, older = await _notices(page, max_id)
    return await show(
        page,
        "me/notifications.html",
        tab="me",
        notices=notices,
        older=older,
        first=max_id is None,
    )


@router.get("/me/notifications/list")
async def notification_fragment(page: MemberPage) -> Response:
    notices, older = await _notices(page, None)
    return render(page, "me/_notifications.html", notices=notices, older=older, first=True)
