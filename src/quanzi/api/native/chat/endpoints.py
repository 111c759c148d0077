"""Conversations, members and messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from quanzi.api.deps import (
    CreateOnce,
    ServicesDep,
    Viewer,
    replayed,
)
from quanzi.api.native.chat.schemas import (
    ConversationList,
    DirectOpen,
    ForwardCreate,
    ForwardResult,
    GroupCreate,
    GroupUpdate,
    InvitationAnswer,
    Invite,
    Invited,
    MemberList,
    MemberSettings,
    MessageCreate,
    MessageList,
    PresenceList,
    PresenceRead,
    ReadCursor,
    ReadState,
    RoleChange,
    Transfer,
    Unread,
)
from quanzi.api.native.common import ERRORS, PREFIX
from quanzi.db.models import Conversation
from quanzi.domain.chat import queries
from quanzi.domain.chat.conversations import (
    do_create_group,
    do_dissolve,
    do_open_direct,
    do_update_group,
)
from quanzi.domain.chat.forward import do_forward
from quanzi.domain.chat.membership import (
    do_answer_invitation,
    do_invite,
    do_leave,
    do_member_settings,
    do_remove_member,
    do_set_role,
    do_transfer,
)
from quanzi.domain.chat.messages import do_mark_read, do_recall
from quanzi.domain.chat.presence import presence_of
from quanzi.domain.chat.shapes import ConversationRead, MessageRead
from quanzi.domain.tx import Tx
from quanzi.kit.ids import new_id
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["chats"], responses=ERRORS)  # type: ignore[arg-type]


@router.post("/conversations/direct", summary="Open the direct chat with someone")
async def open_direct(body: DirectOpen, viewer: Viewer, services: ServicesDep) -> ConversationRead:
    async with services.write() as tx:
        conv = await do_open_direct(tx, viewer, body.account_id)
    async with services.read() as tx:
        return await queries.get_conversation(tx, viewer, conv.id)


@router.post("/conversations/group", status_code=201, summary="Create a group chat")
async def create_group(
    body: GroupCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> ConversationRead:
    async def create(tx: Tx) -> Conversation:
        return await do_create_group(
            tx,
            viewer,
            name=body.name,
            member_ids=body.member_ids,
            announcement=body.announcement,
            avatar_id=body.avatar_id,
        )

    done = await once(viewer, "conversation", create)
    async with services.read() as tx:
        return await queries.get_conversation(tx, viewer, done.id)


@router.get("/conversations", summary="My conversations (or those changed since a version)")
async def list_conversations(
    viewer: Viewer,
    services: ServicesDep,
    changed_since: Annotated[
        Id | None, Query(description="A sync_version from an earlier answer")
    ] = None,
) -> ConversationList:
    sync_version = new_id()
    async with services.read() as tx:
        items = await queries.list_conversations(tx, viewer, changed_since=changed_since)
    return ConversationList(items=items, sync_version=sync_version)


@router.get("/conversations/unread", summary="Unread messages, in total and per conversation")
async def unread(viewer: Viewer, services: ServicesDep) -> Unread:
    async with services.read() as tx:
        total, counts = await queries.total_unread(tx, viewer)
    return Unread(total=total, conversations={str(k): v for k, v in counts.items()})


@router.get("/conversations/{conversation_id}", summary="One conversation")
async def get_conversation(
    conversation_id: Id, viewer: Viewer, services: ServicesDep
) -> ConversationRead:
    async with services.read() as tx:
        return await queries.get_conversation(tx, viewer, conversation_id)


@router.patch(
    "/conversations/{conversation_id}",
    summary="Rename a group, set its announcement or avatar (owner and admins)",
)
async def update_group(
    conversation_id: Id, body: GroupUpdate, viewer: Viewer, services: ServicesDep
) -> ConversationRead:
    given = body.model_dump(exclude_unset=True)
    async with services.write() as tx:
        await do_update_group(
            tx,
            viewer,
            conversation_id,
            name=body.name,
            announcement=body.announcement,
            avatar_id=body.avatar_id,
            clear_avatar="avatar_id" in given and body.avatar_id is None,
        )
    async with services.read() as tx:
        return await queries.get_conversation(tx, viewer, conversation_id)


@router.patch("/conversations/{conversation_id}/me", summary="Mute or pin a conversation")
async def member_settings(
    conversation_id: Id, body: MemberSettings, viewer: Viewer, services: ServicesDep
) -> ConversationRead:
    async with services.write() as tx:
        await do_member_settings(tx, viewer, conversation_id, muted=body.muted, pinned=body.pinned)
    async with services.read() as tx:
        return await queries.get_conversation(tx, viewer, conversation_id)


@router.delete(
    "/conversations/{conversation_id}", status_code=204, summary="Dissolve a group (owner)"
)
async def dissolve(conversation_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await do_dissolve(tx, viewer, conversation_id)


# Members


@router.get("/conversations/{conversation_id}/members", summary="Members of a conversation")
async def list_members(conversation_id: Id, viewer: Viewer, services: ServicesDep) -> MemberList:
    async with services.read() as tx:
        return MemberList(items=await queries.list_members(tx, viewer, conversation_id))


@router.post("/conversations/{conversation_id}/members", summary="Invite friends to a group")
async def invite(
    conversation_id: Id, body: Invite, viewer: Viewer, services: ServicesDep
) -> Invited:
    async with services.write() as tx:
        joined, invited = await do_invite(tx, viewer, conversation_id, body.account_ids)
    return Invited(joined=joined, invited=invited)


@router.post(
    "/conversations/{conversation_id}/invitation",
    status_code=204,
    summary="Accept or decline an invitation to a group",
)
async def answer_invitation(
    conversation_id: Id, body: InvitationAnswer, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await do_answer_invitation(tx, viewer, conversation_id, body.accept)


@router.delete(
    "/conversations/{conversation_id}/members/{account_id}",
    status_code=204,
    summary="Remove a member (owner and admins); your own id leaves the group",
)
async def remove_member(
    conversation_id: Id, account_id: Id, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        if account_id == viewer.account_id:
            await do_leave(tx, viewer, conversation_id)
        else:
            await do_remove_member(tx, viewer, conversation_id, account_id)


@router.post("/conversations/{conversation_id}/leave", status_code=204, summary="Leave a group")
async def leave(conversation_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await do_leave(tx, viewer, conversation_id)


@router.put(
    "/conversations/{conversation_id}/members/{account_id}/role",
    status_code=204,
    summary="Make a member an administrator, or not (owner)",
)
async def set_role(
    conversation_id: Id,
    account_id: Id,
    body: RoleChange,
    viewer: Viewer,
    services: ServicesDep,
) -> None:
    async with services.write() as tx:
        await do_set_role(tx, viewer, conversation_id, account_id, body.role)


@router.post(
    "/conversations/{conversation_id}/transfer",
    status_code=204,
    summary="Hand the group to another member (owner)",
)
async def transfer(
    conversation_id: Id, body: Transfer, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await do_transfer(tx, viewer, conversation_id, body.account_id)


# Messages


@router.get(
    "/conversations/{conversation_id}/messages",
    summary="Messages: after a seq (catch up), before one (history) or the newest",
)
async def list_messages(
    conversation_id: Id,
    viewer: Viewer,
    services: ServicesDep,
    after_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_MESSAGES)] = 50,
) -> MessageList:
    async with services.read() as tx:
        conv, me, messages = await queries.list_messages(
            tx, viewer, conversation_id, after_seq=after_seq, before_seq=before_seq, limit=limit
        )
    urls = services.media_urls
    return MessageList(
        items=[MessageRead.of(m, urls) for m in messages],
        last_seq=queries.visible_range(conv, me)[1],
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    summary="Send a message (retry with the same client_msg_id to be safe)",
)
async def send_message(
    conversation_id: Id,
    body: MessageCreate,
    response: Response,
    viewer: Viewer,
    services: ServicesDep,
) -> MessageRead:
    message, again = await services.sender.send(viewer, conversation_id, body.draft())
    replayed(response, again)
    return MessageRead.of(message, services.media_urls)


@router.post(
    "/conversations/{conversation_id}/forward",
    status_code=201,
    summary="Forward messages of another chat here, one by one or as one chat record",
)
async def forward(
    conversation_id: Id,
    body: ForwardCreate,
    response: Response,
    viewer: Viewer,
    services: ServicesDep,
) -> ForwardResult:
    messages, again = await do_forward(
        services,
        viewer,
        body.from_conversation_id,
        body.seqs,
        conversation_id,
        merged=body.merged,
        client_msg_id=body.client_msg_id,
    )
    replayed(response, again)
    urls = services.media_urls
    return ForwardResult(items=[MessageRead.of(m, urls) for m in messages])


@router.post(
    "/conversations/{conversation_id}/messages/{seq}/recall",
    summary="Recall a message you sent (within the recall window)",
)
async def recall(
    conversation_id: Id,
    seq: Annotated[int, Path(ge=1, le=2**62)],
    viewer: Viewer,
    services: ServicesDep,
) -> MessageRead:
    async with services.write() as tx:
        notice = await do_recall(tx, viewer, conversation_id, seq)
    return MessageRead.of(notice, services.media_urls)


@router.post("/conversations/{conversation_id}/read", summary="Move my read cursor")
async def mark_read(
    conversation_id: Id, body: ReadCursor, viewer: Viewer, services: ServicesDep
) -> ReadState:
    async with services.write() as tx:
        unread = await do_mark_read(tx, viewer, conversation_id, body.seq)
    async with services.read() as tx:
        _, me = await queries.access_conversation(tx, viewer, conversation_id)
    return ReadState(read_seq=me.read_seq, unread=unread)


@router.get("/presence", summary="Which of these friends are online (if they show it)")
async def presence(
    viewer: Viewer,
    services: ServicesDep,
    ids: Annotated[str, Query(max_length=2100, description="Comma-separated account ids")],
) -> PresenceList:
    wanted = [int(x) for x in ids.split(",") if x.strip().isdigit() and len(x.strip()) <= 19][:100]
    found = await presence_of(services.read, services.presence, viewer, wanted)
    return PresenceList(items=[PresenceRead(account_id=a, online=on) for a, on in found.items()])
