"""Statuses: posting (a post, or a comment when it replies), reading, editing, deleting, the
conversation around one (context), favourites and reblogs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import IdempotencyHeader, ServicesDep, idempotency_of
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import (
    MaybeReader,
    WriteFavourites,
    WriteStatuses,
)
from quanzi.api.mastodon.common import (
    V1,
    AccountWindow,
    MastodonRoute,
    MastoJSON,
    Params,
    parse_id,
    path_id,
)
from quanzi.api.mastodon.entities import VISIBILITY_IN, Entity
from quanzi.db.models import Comment
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.idempotency import Idempotency, create_once
from quanzi.domain.media.actions import do_describe_media
from quanzi.domain.square import comments, queries, reposts
from quanzi.domain.square.likes import do_like_post, do_unlike_post
from quanzi.domain.square.posts import NewPost, do_create_post, do_delete_post, do_edit_post
from quanzi.domain.square.shapes import PostEditRead, is_plain_repost
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid
from quanzi.services import Services

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)
STATUS = f"{V1}/statuses/{{status_id}}"


def _visibility(params: Params) -> str:
    asked = params.text("visibility") or "public"
    if asked not in VISIBILITY_IN:
        raise Invalid(
            "Visibility is public, unlisted, private or direct.", code="invalid_visibility"
        )
    return VISIBILITY_IN[asked]


@router.post(f"{V1}/statuses")
async def create_status(
    request: Request, viewer: WriteStatuses, services: ServicesDep, key: IdempotencyHeader = None
) -> Response:
    params = await Params.of(request)
    text = params.text("status") or ""
    media_ids = params.ids("media_ids")
    reply_to = params.text("in_reply_to_id")
    idempotency = await idempotency_of(request, key, viewer)
    if reply_to:
        if media_ids:
            raise Invalid("A reply (a comment) cannot carry images.", code="media_on_reply")
        return await _reply(services, viewer, path_id(reply_to), text, idempotency)

    async def create(tx: Tx) -> NewPost:
        return await do_create_post(
            tx,
            viewer,
            text=text,
            media_ids=media_ids,
            visibility=_visibility(params),
            language=params.text("language"),
        )

    done = await create_once(services, idempotency, "post", create)
    async with services.read() as tx:
        if done.made is not None:
            return MastoJSON(await render.new_status(tx, viewer, done.made))
        return MastoJSON(await render.status(tx, viewer, done.id))


async def _reply(
    services: Services, viewer: Principal, to: int, text: str, idempotency: Idempotency | None
) -> Response:
    async def create(tx: Tx) -> Comment:
        found = await render.access_status(tx, viewer, to)
        return await comments.do_comment(
            tx,
            viewer,
            found.post.id,
            text=text,
            reply_to_id=found.comment.id if found.comment else None,
        )

    done = await create_once(services, idempotency, "comment", create)
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, done.id))


@router.get(STATUS)
async def get_status(status_id: str, viewer: MaybeReader, services: ServicesDep) -> Response:
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, path_id(status_id)))


@router.delete(STATUS)
async def delete_status(status_id: str, viewer: WriteStatuses, services: ServicesDep) -> Response:
    """Delete; answers with what was deleted, its source text included (for "delete and
    redraft")."""
    ident = path_id(status_id)
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, ident)
        gone = await render.render_found(tx, viewer, found)
        gone["text"] = found.comment.text if found.comment else found.post.text
    async with services.write() as tx:
        if found.comment is not None:
            await comments.do_delete_comment(tx, viewer, ident)
        else:
            await do_delete_post(tx, viewer, ident)
    return MastoJSON(gone)


@router.put(STATUS)
async def edit_status(
    status_id: str, request: Request, viewer: WriteStatuses, services: ServicesDep
) -> Response:
    params = await Params.of(request)
    ident = path_id(status_id)
    async with services.write() as tx:
        found = await render.access_status(tx, viewer, ident)
        if found.comment is not None:
            raise Invalid("Comments cannot be edited.", code="not_editable")
        for media_id, description in _media_descriptions(params):
            await do_describe_media(tx, viewer, media_id, description)
        await do_edit_post(
            tx,
            viewer,
            ident,
            text=params.text("status") or "",
            media_ids=params.ids("media_ids") if "media_ids" in params.values else None,
        )
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, ident))


def _media_descriptions(params: Params) -> list[tuple[int, str | None]]:
    """An edit's `media_attributes` (a JSON list of {id, description, focus}): the alt text
    to set on each image named (focus is not kept)."""
    attributes = params.values.get("media_attributes") or []
    if not isinstance(attributes, list) or not all(isinstance(a, dict) for a in attributes):
        raise Invalid("media_attributes is a list of objects.", code="invalid_param")
    out = []
    for attribute in attributes:
        media_id = parse_id(str(attribute.get("id", "")), "media_attributes id")
        if media_id is not None and "description" in attribute:
            described = attribute["description"]
            if described is not None and not isinstance(described, str):
                raise Invalid("A description is text.", code="invalid_param")
            out.append((media_id, described))
    return out


@router.get(f"{STATUS}/history")
async def history(status_id: str, viewer: MaybeReader, services: ServicesDep) -> Response:
    """Every version, oldest first, the current one last."""
    ident = path_id(status_id)
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, ident)
        if found.comment is not None:
            return MastoJSON([_as_version(await render.render_found(tx, viewer, found))])
        post = await queries.view_post(tx, viewer, ident)
        edits = await queries.edit_history(tx, viewer, ident)
        make = await render.maker_for(tx, viewer, [post])
    media = services.media_urls
    versions = [make.edit(PostEditRead.of(e, media), post) for e in reversed(edits)]
    return MastoJSON([*versions, _as_version(make.post(post))])


def _as_version(status: Entity) -> Entity:
    return {
        "content": status["content"],
        "spoiler_text": "",
        "sensitive": False,
        "created_at": status["edited_at"] or status["created_at"],
        "account": status["account"],
        "poll": None,
        "media_attachments": status["media_attachments"],
        "emojis": [],
    }


@router.get(f"{STATUS}/source")
async def source(status_id: str, viewer: WriteStatuses, services: ServicesDep) -> Response:
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
    text = found.comment.text if found.comment else found.post.text
    return MastoJSON({"id": status_id, "text": text, "spoiler_text": ""})


@router.get(f"{STATUS}/context")
async def context(status_id: str, viewer: MaybeReader, services: ServicesDep) -> Response:
    """Ancestors and descendants, from the post's threaded comments (`comments.context_of`):
    a post has no ancestors; a comment has its post first among them."""
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
        post = await queries.view_post(tx, viewer, found.post.id)
        around = await comments.context_of(tx, viewer, found.post, found.comment)
        up = await render.comment_statuses(tx, viewer, post, around.ancestors)
        down = await render.comment_statuses(tx, viewer, post, around.descendants)
        head = (
            []
            if found.comment is None
            else [(await render.maker_for(tx, viewer, [post])).post(post)]
        )
    return MastoJSON({"ancestors": [*head, *up], "descendants": down})


async def _original(tx: Tx, viewer: Principal, ident: int) -> render.Found:
    """What a favourite acts on: a comment, or a post (a plain repost stands for its
    original)."""
    found = await render.access_status(tx, viewer, ident)
    if found.comment is None:
        return render.Found(await reposts.stands_for(tx, viewer, found.post))
    return found


@router.post(f"{STATUS}/favourite")
async def favourite(status_id: str, viewer: WriteFavourites, services: ServicesDep) -> Response:
    return await _favourite(services, viewer, path_id(status_id), True)


@router.post(f"{STATUS}/unfavourite")
async def unfavourite(status_id: str, viewer: WriteFavourites, services: ServicesDep) -> Response:
    return await _favourite(services, viewer, path_id(status_id), False)


async def _favourite(services: Services, viewer: Principal, ident: int, like: bool) -> Response:
    async with services.write() as tx:
        found = await _original(tx, viewer, ident)
        if found.comment is not None:
            await comments.do_like_comment(tx, viewer, found.comment.id, like)
        elif like:
            await do_like_post(tx, viewer, found.post.id)
        else:
            await do_unlike_post(tx, viewer, found.post.id)
        target = found.comment.id if found.comment else found.post.id
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, target))


@router.post(f"{STATUS}/reblog")
async def reblog(
    status_id: str, request: Request, viewer: WriteStatuses, services: ServicesDep
) -> Response:
    params = await Params.of(request)
    async with services.write() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
        if found.comment is not None:
            raise Invalid("A comment cannot be reblogged; reblog its post.", code="not_repostable")
        made = await reposts.do_reblog(tx, viewer, found.post, visibility=_visibility(params))
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, made.id))


@router.post(f"{STATUS}/unreblog")
async def unreblog(status_id: str, viewer: WriteStatuses, services: ServicesDep) -> Response:
    async with services.write() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
        if found.comment is not None:
            raise Invalid("A comment cannot be reblogged.", code="not_repostable")
        post = await reposts.do_unreblog(tx, viewer, found.post)
    async with services.read() as tx:
        return MastoJSON(await render.status(tx, viewer, post.id))


@router.get(f"{STATUS}/favourited_by")
async def favourited_by(
    status_id: str, viewer: MaybeReader, services: ServicesDep, window: AccountWindow
) -> Response:
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
        if found.comment is not None:
            return MastoJSON([])
        likers = await queries.likers_of(tx, viewer, found.post.id, window.limit)
        return MastoJSON(await render.accounts(tx, likers))


@router.get(f"{STATUS}/reblogged_by")
async def reblogged_by(
    status_id: str, viewer: MaybeReader, services: ServicesDep, window: AccountWindow
) -> Response:
    async with services.read() as tx:
        found = await render.access_status(tx, viewer, path_id(status_id))
        if found.comment is not None:
            return MastoJSON([])
        page = await queries.reposts_of(tx, viewer, found.post.id, window)
        reads = await queries.render_posts(tx, viewer, list(page.items))
        authors = list({p.author.id: p.author for p in reads if is_plain_repost(p)}.values())
        return MastoJSON(await render.accounts(tx, authors))
