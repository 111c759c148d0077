"""The Chats tab: the conversation list, a chat with live messages, and group settings.

Messages on a page are kept in seq order and never twice: every fragment of messages is
"what comes after the newest seq this page holds" (or, scrolling back, before the oldest), and
the page's script drops any seq it already shows. Live events, sends and catching up after a
lost connection all use the same fragment, so they cannot disagree.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Query, UploadFile
from fastapi.responses import Response

from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.chat import queries
from quanzi.domain.chat.conversations import (
    do_create_group,
    do_dissolve,
    do_open_direct,
    do_update_group,
)
from quanzi.domain.chat.forward import MAX_FORWARD, do_forward
from quanzi.domain.chat.membership import (
    do_answer_invitation,
    do_invite,
    do_leave,
    do_member_settings,
    do_remove_member,
    do_set_role,
    do_transfer,
)
from quanzi.domain.chat.messages import do_recall
from quanzi.domain.chat.send import Draft
from quanzi.domain.chat.shapes import ConversationRead, MessageRead, RecordRead
from quanzi.domain.contacts.queries import list_friends, my_remarks
from quanzi.domain.media.actions import upload_image
from quanzi.domain.media.queries import image_sizes
from quanzi.errors import Invalid, NotFound
from quanzi.kit import posttext
from quanzi.kit.wire import Id
from quanzi.web.i18n import _, when_in_chat
from quanzi.web.page import MemberPage, Page, WebRoute, redirect, render, show, templates

if TYPE_CHECKING:
    from quanzi.db.models import Message

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 40
Seq = Annotated[int | None, Query(ge=0, le=2**62)]


def title_of(page: Page, conv: ConversationRead) -> str:
    """A chat's title as I see it: the other person by my remark for them, or the group's."""
    if conv.kind == "direct" and conv.peer is not None:
        return page.name(conv.peer)
    return conv.name or _("Group chat")


templates.globals["chat_title"] = title_of


@router.get("/chats")
async def chat_list(page: MemberPage) -> Response:
    return await show(page, "chats/list.html", tab="chats", **await _listing(page))


@router.get("/chats/list")
async def chat_list_fragment(
    page: MemberPage, current: Annotated[int | None, Query(ge=1, le=2**62)] = None
) -> Response:
    """The list again (live updates); `current` is the chat open beside it on a desktop."""
    context = await _listing(page)
    await page.load_remarks()
    return render(page, "chats/_list.html", current=current, **context)


async def _listing(page: Page) -> dict[str, Any]:
    """The chat list: my conversations (pinned first) and those with an unread @me."""
    async with page.services.read() as tx:
        conversations = await queries.list_conversations(tx, page.principal)
        mentioned = await queries.unread_mentions(tx, page.principal, [c.id for c in conversations])
    return {"conversations": _ordered(conversations), "mentioned": mentioned}


def _ordered(conversations: list[ConversationRead]) -> list[ConversationRead]:
    """Pinned first, then by latest activity (the domain's order)."""
    return sorted(conversations, key=lambda c: not c.me.pinned)


async def _shown(
    page: Page, conversation_id: int, rows: list[Message]
) -> tuple[
    list[MessageRead], dict[int, MessageRead], dict[int, AccountRow], dict[int, tuple[int, int]]
]:
    """Messages as the page shows them: with the messages their replies quote (those the
    viewer may read), everyone they name (senders, quoted senders, the people of system
    notices) and the sizes of their pictures (laid out before they load); the viewer's
    remarks are loaded for naming them."""
    urls = page.services.media_urls
    messages = [MessageRead.of(m, urls) for m in rows]
    ids: set[int] = set()
    async with page.services.read() as tx:
        quoted = {
            seq: MessageRead.of(m, urls)
            for seq, m in (
                await queries.quoted_messages(
                    tx,
                    page.principal,
                    conversation_id,
                    [m.reply_to_seq for m in messages if m.reply_to_seq and m.kind != "recall"],
                )
            ).items()
        }
        for m in [*messages, *quoted.values()]:
            if m.sender_id is not None:
                ids.add(m.sender_id)
            if m.system:
                for key in ("actor", "inviter"):
                    if m.system.get(key):
                        ids.add(int(m.system[key]))
                ids.update(int(t) for t in m.system.get("targets", []))
        people = await load_account_rows(tx, ids)
        sizes = await image_sizes(tx, (m.media_id for m in messages if m.media_id))
        page.remarks = await my_remarks(tx, page.principal)
    return messages, quoted, people, sizes


@router.get("/chats/{conversation_id}")
async def chat(conversation_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        conv = await queries.get_conversation(tx, page.principal, conversation_id)
        _, me, rows = await queries.list_messages(
            tx, page.principal, conversation_id, limit=PAGE_SIZE
        )
        members = (
            await queries.list_members(tx, page.principal, conversation_id)
            if conv.kind == "group" and conv.me.state == "active"
            else []
        )
    messages, quoted, people, sizes = await _shown(page, conversation_id, rows)
    names = {str(m.account.id): page.name(m.account) for m in members}
    if conv.peer is not None:
        names[str(conv.peer.id)] = page.name(conv.peer)
    return await show(
        page,
        "chats/chat.html",
        tab="chats",
        conv=conv,
        title=title_of(page, conv),
        messages=messages,
        quoted=quoted,
        people=people,
        sizes=sizes,
        group=conv.kind == "group",
        recall_seconds=page.services.settings.recall_seconds,
        members=members,
        names=names,
        more=bool(messages) and messages[0].seq > me.joined_seq,
        read_seq=me.read_seq,
        client_msg_id=secrets.token_urlsafe(12),
        current=conversation_id,
        **await _listing(page),
    )


@router.get("/chats/{conversation_id}/messages")
async def messages(
    conversation_id: Id, page: MemberPage, after_seq: Seq = None, before_seq: Seq = None
) -> Response:
    return await _fragment(page, conversation_id, after_seq=after_seq, before_seq=before_seq)


async def _fragment(
    page: Page, conversation_id: int, *, after_seq: int | None, before_seq: int | None = None
) -> Response:
    async with page.services.read() as tx:
        conv, me, rows = await queries.list_messages(
            tx,
            page.principal,
            conversation_id,
            after_seq=after_seq,
            before_seq=before_seq if after_seq is None else None,
            limit=PAGE_SIZE if after_seq is None else queries.MAX_MESSAGES,
        )
    found, quoted, people, sizes = await _shown(page, conversation_id, rows)
    return render(
        page,
        "chats/_messages.html",
        conversation_id=conversation_id,
        messages=found,
        quoted=quoted,
        people=people,
        sizes=sizes,
        group=conv.kind == "group",
        recall_seconds=page.services.settings.recall_seconds,
        older=after_seq is None,
        more=after_seq is None and bool(found) and found[0].seq > me.joined_seq,
    )


@router.post("/chats/{conversation_id}/messages")
async def send(
    conversation_id: Id,
    page: MemberPage,
    client_msg_id: Annotated[str, Form(min_length=1, max_length=64)],
    text: Annotated[str, Form(max_length=20_000)] = "",
    reply_to_seq: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    mentions: Annotated[list[int] | None, Form()] = None,
    mention_all: Annotated[bool, Form()] = False,
    after_seq: Annotated[int, Form(ge=0, le=2**62)] = 0,
    image: UploadFile | None = None,
) -> Response:
    media_id = None
    if image is not None and image.filename:
        media, _replayed = await upload_image(page.services, page.principal, await image.read())
        media_id = media.id
    if not text.strip() and media_id is None:
        raise Invalid(_("Write something, or choose a picture."), code="empty_message")
    draft = Draft(
        client_msg_id=client_msg_id,
        text=text,
        media_id=media_id,
        reply_to_seq=reply_to_seq,
        mentions=tuple(mentions or ()),
        mention_all=mention_all,
    )
    await page.services.sender.send(page.principal, conversation_id, draft)
    return await _fragment(page, conversation_id, after_seq=after_seq)


@router.post("/chats/{conversation_id}/messages/{seq}/recall")
async def recall(
    conversation_id: Id,
    seq: int,
    page: MemberPage,
    after_seq: Annotated[int, Form(ge=0, le=2**62)] = 0,
) -> Response:
    async with page.services.write() as tx:
        await do_recall(tx, page.principal, conversation_id, seq)
    return await _fragment(page, conversation_id, after_seq=after_seq)


# Forwarding


def record_title(record: RecordRead) -> str:
    """A chat record's title in the reader's language."""
    title = record.title
    if title.group or not title.names:
        return _("Group chat history")
    if len(title.names) == 1 or title.names[0] == title.names[1]:
        return _("Chat history of %(name)s", name=title.names[0])
    return _("Chat history of %(a)s and %(b)s", a=title.names[0], b=title.names[1])


templates.globals["record_title"] = record_title

Seqs = Annotated[list[int], Query(min_length=1, max_length=MAX_FORWARD)]


async def _chooser(
    page: MemberPage, conversation_id: int, seqs: list[int], *, merged: bool, action: str
) -> Response:
    """The chats to forward to, under a preview of what goes."""
    async with page.services.read() as tx:
        found = await queries.quoted_messages(tx, page.principal, conversation_id, seqs)
        shown = [found[s] for s in sorted(set(seqs)) if s in found]
        if not shown or any(m.kind not in queries.COUNTED_KINDS for m in shown):
            raise NotFound("No such message.")
        conversations = await queries.list_conversations(tx, page.principal)
        people = await load_account_rows(tx, {m.sender_id for m in shown if m.sender_id})
    urls = page.services.media_urls
    return await show(
        page,
        "chats/forward.html",
        tab="chats",
        source=conversation_id,
        messages=[MessageRead.of(m, urls) for m in shown],
        people=people,
        merged=merged,
        action=action,
        conversations=[
            c for c in _ordered(conversations) if c.me.state == "active" and c.status == "active"
        ],
        client_msg_id=secrets.token_urlsafe(12),
    )


@router.get("/chats/{conversation_id}/messages/{seq}/forward")
async def forward_form(conversation_id: Id, seq: int, page: MemberPage) -> Response:
    action = f"/chats/{conversation_id}/messages/{seq}/forward"
    return await _chooser(page, conversation_id, [seq], merged=False, action=action)


@router.post("/chats/{conversation_id}/messages/{seq}/forward")
async def forward(
    conversation_id: Id,
    seq: int,
    page: MemberPage,
    to: Annotated[int, Form(ge=1, le=2**63)],
    client_msg_id: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """Send a copy of a message I may read to another of my chats (its picture uploaded
    again as mine), as a new message of mine there, under the rules of any send."""
    return await forward_many(conversation_id, page, to, [seq], client_msg_id)


@router.get("/chats/{conversation_id}/forward")
async def forward_many_form(
    conversation_id: Id, page: MemberPage, seqs: Seqs, merged: bool = False
) -> Response:
    """Forwarding the messages chosen in multi-select: one by one, or merged (合并转发)."""
    action = f"/chats/{conversation_id}/forward"
    return await _chooser(page, conversation_id, seqs, merged=merged, action=action)


@router.post("/chats/{conversation_id}/forward")
async def forward_many(
    conversation_id: Id,
    page: MemberPage,
    to: Annotated[int, Form(ge=1, le=2**63)],
    seqs: Annotated[list[int], Form(min_length=1, max_length=MAX_FORWARD)],
    client_msg_id: Annotated[str, Form(min_length=1, max_length=64)],
    merged: Annotated[bool, Form()] = False,
) -> Response:
    """Forward messages to one of my chats: domain/chat/forward.do_forward."""
    await do_forward(
        page.services,
        page.principal,
        conversation_id,
        seqs,
        to,
        merged=merged,
        client_msg_id=client_msg_id,
    )
    return redirect(page, f"/chats/{to}")


@router.get("/chats/{conversation_id}/messages/{seq}/record")
async def record(
    conversation_id: Id, seq: int, page: MemberPage, at: int | None = None
) -> Response:
    """A chat record, whole; `at` opens the record forwarded as its item `at`."""
    async with page.services.read() as tx:
        message = await queries.access_message(tx, page.principal, conversation_id, seq)
    shown = MessageRead.of(message, page.services.media_urls).record
    if shown is not None and at is not None:
        inner = shown.items[at].record if 0 <= at < len(shown.items) else None
        shown = inner
    if shown is None:
        raise NotFound("No such message.")
    return await show(
        page,
        "chats/record.html",
        tab="chats",
        source=conversation_id,
        seq=seq,
        nested=at is not None,
        record=shown,
    )


# Starting chats


@router.post("/chats/direct/{account_id}")
async def open_direct(account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        conv = await do_open_direct(tx, page.principal, account_id)
    return redirect(page, f"/chats/{conv.id}")


@router.get("/chats/new/group")
async def new_group_form(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        friends = await list_friends(tx, page.principal)
    return await show(page, "chats/new_group.html", tab="chats", friends=friends)


@router.post("/chats/new/group")
async def create_group(
    page: MemberPage,
    name: Annotated[str, Form(max_length=200)] = "",
    member_ids: Annotated[list[int] | None, Form()] = None,
    announcement: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    async with page.services.write() as tx:
        conv = await do_create_group(
            tx,
            page.principal,
            name=name,
            member_ids=list(member_ids or []),
            announcement=announcement,
        )
    return redirect(page, f"/chats/{conv.id}")


# Group settings


@router.get("/chats/{conversation_id}/settings")
async def settings(conversation_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        conv = await queries.get_conversation(tx, page.principal, conversation_id)
        members = (
            await queries.list_members(tx, page.principal, conversation_id)
            if conv.me.state == "active"
            else []
        )
        friends = await list_friends(tx, page.principal) if conv.kind == "group" else []
    inside = {int(m.account.id) for m in members}
    return await show(
        page,
        "chats/settings.html",
        tab="chats",
        conv=conv,
        title=title_of(page, conv),
        members=members,
        invitable=[f for f in friends if int(f.account.id) not in inside],
    )


def _back_to_settings(page: Page, conversation_id: int) -> Response:
    return redirect(page, f"/chats/{conversation_id}/settings")


@router.post("/chats/{conversation_id}/settings")
async def update_group(
    conversation_id: Id,
    page: MemberPage,
    name: Annotated[str | None, Form(max_length=200)] = None,
    announcement: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    async with page.services.write() as tx:
        await do_update_group(
            tx, page.principal, conversation_id, name=name, announcement=announcement
        )
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/me")
async def my_settings(
    conversation_id: Id,
    page: MemberPage,
    muted: Annotated[bool, Form()] = False,
    pinned: Annotated[bool, Form()] = False,
) -> Response:
    async with page.services.write() as tx:
        await do_member_settings(tx, page.principal, conversation_id, muted=muted, pinned=pinned)
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/members")
async def invite(
    conversation_id: Id,
    page: MemberPage,
    account_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    async with page.services.write() as tx:
        await do_invite(tx, page.principal, conversation_id, list(account_ids or []))
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/members/{account_id}/remove")
async def remove_member(conversation_id: Id, account_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await do_remove_member(tx, page.principal, conversation_id, account_id)
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/members/{account_id}/role")
async def set_role(
    conversation_id: Id,
    account_id: Id,
    page: MemberPage,
    role: Annotated[str, Form(max_length=10)],
) -> Response:
    async with page.services.write() as tx:
        await do_set_role(tx, page.principal, conversation_id, account_id, role)
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/transfer")
async def transfer(
    conversation_id: Id, page: MemberPage, account_id: Annotated[int, Form(ge=1)]
) -> Response:
    async with page.services.write() as tx:
        await do_transfer(tx, page.principal, conversation_id, account_id)
    return _back_to_settings(page, conversation_id)


@router.post("/chats/{conversation_id}/leave")
async def leave(conversation_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await do_leave(tx, page.principal, conversation_id)
    return redirect(page, "/chats")


@router.post("/chats/{conversation_id}/dissolve")
async def dissolve(conversation_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await do_dissolve(tx, page.principal, conversation_id)
    return redirect(page, f"/chats/{conversation_id}")


@router.post("/chats/{conversation_id}/invitation")
async def answer_invitation(
    conversation_id: Id, page: MemberPage, accept: Annotated[bool, Form()] = False
) -> Response:
    async with page.services.write() as tx:
        await do_answer_invitation(tx, page.principal, conversation_id, accept)
    return redirect(page, f"/chats/{conversation_id}" if accept else "/chats")


def system_text(page: Page, message: MessageRead, people: dict[int, AccountRow]) -> str:
    """A system notice in the reader's language, naming people as the reader does (their
    remarks): "小明 invited 李雷, 韩梅梅". A recalled message (or the recall of one) reads
    "You recalled a message" for the one who recalled it, "小明 recalled a message" for others."""
    body: dict[str, Any] = message.system or {}

    def who(raw: Any) -> str:
        row = people.get(int(raw)) if raw else None
        return page.name(row) if row is not None else _("someone")

    if message.kind in ("recalled", "recall"):
        if page.viewer is not None and message.sender_id == page.viewer.account_id:
            return _("You recalled a message")
        return _("%(actor)s recalled a message", actor=who(message.sender_id))

    actor = who(body.get("actor"))
    targets = ", ".join(who(t) for t in body.get("targets", []))
    event = body.get("event")
    texts = {
        "created": _("%(actor)s created the group", actor=actor),
        "renamed": _(
            '%(actor)s renamed the group to "%(name)s"', actor=actor, name=body.get("name", "")
        ),
        "announcement": _("%(actor)s changed the announcement", actor=actor),
        "avatar": _("%(actor)s changed the group picture", actor=actor),
        "invited": _("%(actor)s invited %(targets)s", actor=actor, targets=targets),
        "joined": _("%(actor)s joined the group", actor=actor),
        "removed": _("%(actor)s removed %(targets)s", actor=actor, targets=targets),
        "left": _("%(actor)s left the group", actor=actor),
        "admin_added": _("%(targets)s is now an administrator", targets=targets),
        "admin_removed": _("%(targets)s is no longer an administrator", targets=targets),
        "owner": _("%(targets)s now owns the group", targets=targets),
        "dissolved": _("%(actor)s dissolved the group", actor=actor),
    }
    return texts.get(str(event), _("The group changed"))


def link_parts(text: str) -> Sequence[posttext.Part]:
    """A message's text cut into text and links (kit.posttext), each escaped by the template."""
    return posttext.parts(text, links_only=True)


templates.globals.update(system_text=system_text, when_in_chat=when_in_chat, link_parts=link_parts)
