"""The square: posts, reposts, comments, likes, timelines, topics, communities, search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from quanzi.api.deps import (
    CreateOnce,
    MaybeViewer,
    PageWindow,
    ServicesDep,
    Viewer,
)
from quanzi.api.native.common import ERRORS, PREFIX
from quanzi.api.native.square.schemas import (
    CommentCreate,
    CommentPage,
    CommunityCreate,
    CommunityMemberList,
    CommunityMemberRead,
    EditHistory,
    PostCreate,
    PostUpdate,
    RepostCreate,
    SearchResults,
    Timeline,
    TopicTimeline,
    TrendingList,
)
from quanzi.db.models import Comment, Post
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.contacts.queries import search_accounts
from quanzi.domain.square import comments, communities, queries, topics
from quanzi.domain.square.likes import do_like_post, do_unlike_post
from quanzi.domain.square.posts import NewPost, do_create_post, do_delete_post, do_edit_post
from quanzi.domain.square.reposts import do_repost
from quanzi.domain.square.search import search_comments, search_posts
from quanzi.domain.square.shapes import (
    CommentRead,
    CommunityRead,
    PostEditRead,
    PostFields,
    PostRead,
    TopicRead,
    TrendingRead,
)
from quanzi.domain.tx import Tx
from quanzi.kit.pagination import Page
from quanzi.kit.wire import Id
from quanzi.services import Services

router = APIRouter(prefix=PREFIX, tags=["square"], responses=ERRORS)  # type: ignore[arg-type]


async def _timeline(tx: Tx, viewer: Principal | None, page: Page[PostFields]) -> Timeline:
    return Timeline(
        items=await queries.render_posts(tx, viewer, list(page.items)),
        next_max_id=page.next_max_id,
        prev_min_id=page.prev_min_id,
    )


async def _post(services: Services, viewer: Principal | None, post_id: int) -> PostRead:
    async with services.read() as tx:
        return await queries.view_post(tx, viewer, post_id)


# Posts


@router.post("/posts", status_code=201, summary="Post to the square")
async def create_post(
    body: PostCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> PostRead:
    async def create(tx: Tx) -> NewPost:
        return await do_create_post(
            tx,
            viewer,
            text=body.text,
            media_ids=body.media_ids,
            visibility=body.visibility,
            community_id=body.community_id,
        )

    return await _post(services, viewer, (await once(viewer, "post", create)).id)


@router.get("/posts/{post_id}", summary="One post")
async def get_post(post_id: Id, viewer: MaybeViewer, services: ServicesDep) -> PostRead:
    return await _post(services, viewer, post_id)


@router.patch("/posts/{post_id}", summary="Edit my post (the earlier version is kept)")
async def edit_post(
    post_id: Id, body: PostUpdate, viewer: Viewer, services: ServicesDep
) -> PostRead:
    async with services.write() as tx:
        await do_edit_post(tx, viewer, post_id, text=body.text, media_ids=body.media_ids)
    return await _post(services, viewer, post_id)


@router.get("/posts/{post_id}/history", summary="Earlier versions of an edited post")
async def post_history(post_id: Id, viewer: MaybeViewer, services: ServicesDep) -> EditHistory:
    async with services.read() as tx:
        edits = await queries.edit_history(tx, viewer, post_id)
    urls = services.media_urls
    return EditHistory(items=[PostEditRead.of(e, urls) for e in edits])


@router.delete("/posts/{post_id}", status_code=204, summary="Delete my post")
async def delete_post(post_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await do_delete_post(tx, viewer, post_id)


@router.post(
    "/posts/{post_id}/reposts", status_code=201, summary="Repost, with or without a comment"
)
async def repost(
    post_id: Id, body: RepostCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> PostRead:
    async def create(tx: Tx) -> Post:
        return await do_repost(
            tx, viewer, post_id, comment=body.comment, visibility=body.visibility
        )

    return await _post(services, viewer, (await once(viewer, "post", create)).id)


@router.get("/posts/{post_id}/reposts", summary="Reposts of a post")
async def list_reposts(
    post_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> Timeline:
    async with services.read() as tx:
        return await _timeline(tx, viewer, await queries.reposts_of(tx, viewer, post_id, window))


@router.post("/posts/{post_id}/like", summary="Like a post")
async def like_post(post_id: Id, viewer: Viewer, services: ServicesDep) -> PostRead:
    async with services.write() as tx:
        await do_like_post(tx, viewer, post_id)
    return await _post(services, viewer, post_id)


@router.delete("/posts/{post_id}/like", summary="Unlike a post")
async def unlike_post(post_id: Id, viewer: Viewer, services: ServicesDep) -> PostRead:
    async with services.write() as tx:
        await do_unlike_post(tx, viewer, post_id)
    return await _post(services, viewer, post_id)


# Comments


@router.post(
    "/posts/{post_id}/comments",
    status_code=201,
    summary="Comment, or reply to a comment (and optionally repost too)",
)
async def comment(
    post_id: Id, body: CommentCreate, viewer: Viewer, services: ServicesDep, once: CreateOnce
) -> CommentRead:
    async def create(tx: Tx) -> Comment:
        return await comments.do_comment(
            tx,
            viewer,
            post_id,
            text=body.text,
            reply_to_id=body.reply_to_id,
            also_repost=body.also_repost,
        )

    done = await once(viewer, "comment", create)
    async with services.read() as tx:
        made = done.made or await comments.access_comment(tx, viewer, done.id)
        return await comments.render_comment(tx, viewer, made)


@router.get("/posts/{post_id}/comments", summary="Comment threads, each with its first replies")
async def list_comments(
    post_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> CommentPage:
    async with services.read() as tx:
        page, items = await comments.list_threads(tx, viewer, post_id, window)
    return CommentPage(items=items, next_max_id=page.next_max_id, prev_min_id=page.prev_min_id)


@router.get("/comments/{comment_id}/replies", summary="The replies of a comment's thread")
async def list_replies(
    comment_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> CommentPage:
    async with services.read() as tx:
        page, items = await comments.list_replies(tx, viewer, comment_id, window)
    return CommentPage(items=items, next_max_id=page.next_max_id, prev_min_id=page.prev_min_id)


@router.delete(
    "/comments/{comment_id}", status_code=204, summary="Delete my comment, or one on my post"
)
async def delete_comment(comment_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await comments.do_delete_comment(tx, viewer, comment_id)


@router.post("/comments/{comment_id}/like", summary="Like a comment")
async def like_comment(comment_id: Id, viewer: Viewer, services: ServicesDep) -> CommentRead:
    return await _like_comment(services, viewer, comment_id, True)


@router.delete("/comments/{comment_id}/like", summary="Unlike a comment")
async def unlike_comment(comment_id: Id, viewer: Viewer, services: ServicesDep) -> CommentRead:
    return await _like_comment(services, viewer, comment_id, False)


async def _like_comment(
    services: Services, viewer: Principal, comment_id: int, like: bool
) -> CommentRead:
    async with services.write() as tx:
        made = await comments.do_like_comment(tx, viewer, comment_id, like)
    async with services.read() as tx:
        return await comments.render_comment(tx, viewer, made)


# Timelines


@router.get("/timelines/home", summary="Posts of the accounts I follow, and mine")
async def home(viewer: Viewer, services: ServicesDep, window: PageWindow) -> Timeline:
    async with services.read() as tx:
        return await _timeline(tx, viewer, await queries.home_timeline(tx, viewer, window))


@router.get("/timelines/public", summary="All public posts")
async def public(viewer: MaybeViewer, services: ServicesDep, window: PageWindow) -> Timeline:
    async with services.read() as tx:
        return await _timeline(tx, viewer, await queries.public_timeline(tx, viewer, window))


@router.get("/accounts/{account_id}/posts", summary="An account's posts")
async def account_posts(
    account_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> Timeline:
    async with services.read() as tx:
        page = await queries.account_timeline(tx, viewer, account_id, window)
        return await _timeline(tx, viewer, page)


# Topics


@router.get("/topics/trending", summary="Trending topics (hot search)")
async def trending(services: ServicesDep) -> TrendingList:
    async with services.read() as tx:
        rows = await topics.list_trending(tx)
    return TrendingList(
        items=[
            TrendingRead(rank=t.rank, topic=TopicRead.of(topic), score=t.score) for t, topic in rows
        ]
    )


@router.get("/topics/{name}", summary="A topic and its counts")
async def topic(name: str, services: ServicesDep) -> TopicRead:
    async with services.read() as tx:
        return TopicRead.of(await queries.access_topic(tx, name[:100]))


@router.get("/topics/{name}/posts", summary="Posts with a topic")
async def topic_posts(
    name: str, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> TopicTimeline:
    async with services.read() as tx:
        found, page = await queries.topic_timeline(tx, viewer, name[:100], window)
        timeline = await _timeline(tx, viewer, page)
    return TopicTimeline(topic=TopicRead.of(found), **timeline.model_dump())


# Communities


@router.post("/communities", status_code=201, summary="Create a community (topic group)")
async def create_community(
    body: CommunityCreate, viewer: Viewer, services: ServicesDep
) -> CommunityRead:
    async with services.write() as tx:
        made = await communities.do_create_community(
            tx, viewer, name=body.name, description=body.description
        )
    return CommunityRead.of(made, "owner")


@router.get("/communities/{community_id}", summary="A community")
async def get_community(
    community_id: Id, viewer: MaybeViewer, services: ServicesDep
) -> CommunityRead:
    async with services.read() as tx:
        found = await communities.access_community(tx, community_id)
        return CommunityRead.of(found, await communities.my_role(tx, viewer, community_id))


@router.post("/communities/{community_id}/membership", summary="Join a community")
async def join(community_id: Id, viewer: Viewer, services: ServicesDep) -> CommunityRead:
    async with services.write() as tx:
        found = await communities.do_join(tx, viewer, community_id)
        role = await communities.my_role(tx, viewer, community_id)
    return CommunityRead.of(found, role)


@router.delete(
    "/communities/{community_id}/membership", status_code=204, summary="Leave a community"
)
async def leave(community_id: Id, viewer: Viewer, services: ServicesDep) -> None:
    async with services.write() as tx:
        await communities.do_leave(tx, viewer, community_id)


@router.get("/communities/{community_id}/members", summary="Members of a community")
async def community_members(
    community_id: Id, services: ServicesDep, viewer: MaybeViewer
) -> CommunityMemberList:
    async with services.read() as tx:
        members = await communities.list_members(tx, community_id)
        urls = services.media_urls
        items = []
        for m in members:
            row = await load_account_row(tx, m.account_id)
            if row is not None and row.status == "active":
                items.append(CommunityMemberRead(account=AccountPublic.of(row, urls), role=m.role))
    return CommunityMemberList(items=items)


@router.put(
    "/communities/{community_id}/moderators/{account_id}",
    status_code=204,
    summary="Make a member a moderator (owner)",
)
async def add_moderator(
    community_id: Id, account_id: Id, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await communities.do_set_moderator(tx, viewer, community_id, account_id, True)


@router.delete(
    "/communities/{community_id}/moderators/{account_id}",
    status_code=204,
    summary="Make a moderator a plain member again (owner)",
)
async def remove_moderator(
    community_id: Id, account_id: Id, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await communities.do_set_moderator(tx, viewer, community_id, account_id, False)


@router.get("/communities/{community_id}/posts", summary="A community's timeline")
async def community_posts(
    community_id: Id, viewer: MaybeViewer, services: ServicesDep, window: PageWindow
) -> Timeline:
    async with services.read() as tx:
        page = await communities.community_timeline(tx, viewer, community_id, window)
        return await _timeline(tx, viewer, page)


@router.delete(
    "/communities/{community_id}/posts/{post_id}",
    status_code=204,
    summary="Take a post out of a community (owner and moderators)",
)
async def remove_community_post(
    community_id: Id, post_id: Id, viewer: Viewer, services: ServicesDep
) -> None:
    async with services.write() as tx:
        await communities.do_remove_post(tx, viewer, community_id, post_id)


# Search


@router.get("/search", summary="Search posts, comments, people and topics (Chinese and English)")
async def search(
    viewer: MaybeViewer,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    type: Annotated[Literal["all", "posts", "comments", "accounts", "topics"], Query()] = "all",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    offset: Annotated[int, Query(ge=0, le=500)] = 0,
) -> SearchResults:
    urls = services.media_urls
    async with services.read() as tx:
        posts = (
            await queries.render_posts(
                tx, viewer, await search_posts(tx, viewer, q, limit=limit, offset=offset)
            )
            if type in ("all", "posts")
            else []
        )
        found_comments = (
            await comments.render_comments(
                tx,
                viewer,
                [c for c, _ in await search_comments(tx, viewer, q, limit=limit, offset=offset)],
            )
            if type in ("all", "comments")
            else []
        )
        people = (
            [AccountPublic.of(a, urls) for a in await search_accounts(tx, viewer, q, limit)]
            if type in ("all", "accounts") and offset == 0
            else []
        )
        found_topics = (
            [TopicRead.of(t) for t in await topics.search_topics(tx, q, limit)]
            if type in ("all", "topics") and offset == 0
            else []
        )
    return SearchResults(posts=posts, comments=found_comments, accounts=people, topics=found_topics)
