"""The square (Weibo-style public microblog), from the Discover tab: timelines with a compose
box, post pages with threaded comments, reposts, likes, people's posts, topics and trending,
topic groups (communities) and search.

Who sees which post is the domain's `visible()` rule, inside every query used here; the pages
only render what the domain returns. Post text is shown with its #topics#, @mentions, repost
chains and links as links, cut into parts by `kit.posttext.parts` that the templates escape one
by one (`part_href` says where each links to).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from quanzi.domain.accounts.queries import load_account_rows, lookup_account, view_account
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.contacts.queries import search_accounts
from quanzi.domain.media.actions import upload_image
from quanzi.domain.square import actions, comments, communities, queries, topics
from quanzi.domain.square.actions import MAX_MEDIA
from quanzi.domain.square.search import search_comments, search_posts
from quanzi.domain.square.views import (
    CommentRead,
    CommunityRead,
    PostEditRead,
    PostFields,
    PostRead,
)
from quanzi.domain.tx import Tx
from quanzi.errors import Invalid
from quanzi.kit import posttext
from quanzi.kit.pagination import Page as Found
from quanzi.kit.pagination import Window
from quanzi.kit.text import handle_key
from quanzi.kit.wire import Id
from quanzi.web.i18n import _
from quanzi.web.page import MemberPage, Page, WebRoute, redirect, render, show, templates

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 20
SEARCH_LIMIT = 20
Cursor = Annotated[Id | None, Query()]
Timeline = Literal["following", "public"]
Back = Annotated[str, Form(max_length=2000)]


# Post text: cut by kit/posttext; here only where each part links to


def part_href(part: posttext.Part, handles: Mapping[str, int]) -> str | None:
    """Where a part of a post's text links to (None: it is text). Mentions of accounts the
    post names (`handles`: handle key -> account id) go to their page, other handles (as in a
    repost chain) to a lookup by handle."""
    if part.kind == "link":
        return part.value
    if part.kind == "topic":
        return topic_url(part.value)
    if part.kind in ("mention", "chain"):
        account_id = handles.get(handle_key(part.value) or "")
        return f"/people/{account_id}" if account_id else f"/square/at/{part.value}"
    return None


def topic_url(name: str) -> str:
    return "/topics/" + quote(name, safe="")


templates.globals.update(post_parts=posttext.parts, part_href=part_href, topic_url=topic_url)


# Helpers


def _local(path: str, default: str = "/square") -> str:
    """Where to go back to after a form: a path on this site, never another site."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def here(page: Page) -> str:
    """The page the person is looking at (for an HTMX request, the page that made it)."""
    if page.htmx and (current := page.request.headers.get("hx-current-url")):
        split = urlsplit(current)
        return _local(split.path + (f"?{split.query}" if split.query else ""))
    url = page.request.url
    return url.path + (f"?{url.query}" if url.query else "")


def _more(path: str, found: Found[PostFields], **params: str) -> str | None:
    """The URL of the next (older) page of a timeline, if there is one."""
    if found.next_max_id is None:
        return None
    return f"{path}?{urlencode({**params, 'max_id': found.next_max_id})}"


def _optional_id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 19 else None


async def _shown(
    tx: Tx, viewer: Principal, posts: Sequence[PostFields]
) -> tuple[list[PostRead], dict[str, int]]:
    """Posts as the viewer sees them, and the accounts they mention (handle key -> id)."""
    reads = await queries.render_posts(tx, viewer, posts)
    return reads, await _handles(tx, reads)


async def _handles(tx: Tx, posts: Sequence[PostRead]) -> dict[str, int]:
    """The accounts the posts (and their originals) mention: handle key -> id."""
    mentioned: set[int] = set()
    for p in posts:
        mentioned.update(p.mentions)
        if p.reposted and p.reposted.post:
            mentioned.update(p.reposted.post.mentions)
    rows = await load_account_rows(tx, mentioned)
    return {key: r.id for r in rows.values() if (key := handle_key(r.handle))}


async def _one(tx: Tx, viewer: Principal, post_id: int) -> tuple[PostRead, dict[str, int]]:
    post = await queries.view_post(tx, viewer, post_id)
    return post, await _handles(tx, [post])


async def _timeline_page(
    page: Page,
    posts: list[PostRead],
    handles: dict[str, int],
    more_url: str | None,
    template: str,
    **context: Any,
) -> Response:
    """A timeline: the whole page, or (for "load more") just the next posts."""
    listing: dict[str, Any] = {
        "posts": posts,
        "handles": handles,
        "more_url": more_url,
        "back": here(page),
    }
    if page.htmx:
        await page.load_remarks()
        return render(page, "square/_posts.html", **listing, **context)
    return await show(page, template, tab="discover", **listing, **context)


# Timelines and posting


async def _read_timeline(
    tx: Tx, viewer: Principal, tab: Timeline, window: Window
) -> Found[PostFields]:
    if tab == "following":
        return await queries.home_timeline(tx, viewer, window)
    return await queries.public_timeline(tx, viewer, window)


@router.get("/square")
async def square(page: MemberPage, tab: Timeline = "following", max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found = await _read_timeline(tx, page.principal, tab, window)
        posts, handles = await _shown(tx, page.principal, list(found.items))
    more = _more("/square", found, tab=tab)
    return await _timeline_page(
        page,
        posts,
        handles,
        more,
        "square/square.html",
        timeline=tab,
        max_chars=page.services.settings.post_max_chars,
    )


@router.get("/square/latest")
async def latest(
    page: MemberPage, tab: Timeline = "following", since_id: Cursor = None
) -> Response:
    """Posts newer than the newest on the page (the "New posts" button)."""
    window = Window(since_id=since_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found = await _read_timeline(tx, page.principal, tab, window)
        posts, handles = await _shown(tx, page.principal, list(found.items))
    await page.load_remarks()
    return render(
        page, "square/_posts.html", posts=posts, handles=handles, more_url=None, back="/square"
    )


@router.get("/square/new")
async def new_post(page: MemberPage) -> Response:
    return await show(
        page, "square/new.html", tab="discover", max_chars=page.services.settings.post_max_chars
    )


@router.post("/square/posts")
async def create_post(
    page: MemberPage,
    text: Annotated[str, Form(max_length=100_000)] = "",
    visibility: Annotated[str, Form(max_length=20)] = "public",
    community_id: Annotated[str, Form(max_length=20)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    back: Back = "/square",
) -> Response:
    chosen = [f for f in photos or [] if f.filename]
    if len(chosen) > MAX_MEDIA:
        raise Invalid(_("A post has at most 9 photos."), code="too_many_media")
    media_ids = []
    for photo in chosen:
        media, _replayed = await upload_image(page.services, page.principal, await photo.read())
        media_ids.append(media.id)
    async with page.services.write() as tx:
        await actions.do_create_post(
            tx,
            page.principal,
            text=text,
            media_ids=media_ids,
            visibility=visibility,
            community_id=_optional_id(community_id),
        )
    return redirect(page, _local(back))


@router.get("/square/at/{handle}")
async def person_by_handle(handle: str, page: MemberPage) -> Response:
    """An @handle in a repost chain: the person's page, if they let handles find them."""
    async with page.services.read() as tx:
        account = await lookup_account(tx, page.principal, handle=handle)
    return redirect(page, f"/people/{account.id}")


@router.get("/people/{account_id}/posts")
async def person_posts(account_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        person = await view_account(tx, page.principal, account_id)
        found = await queries.account_timeline(tx, page.principal, account_id, window)
        posts, handles = await _shown(tx, page.principal, list(found.items))
    more = _more(f"/people/{account_id}/posts", found)
    return await _timeline_page(page, posts, handles, more, "square/person.html", person=person)


# One post


async def _with_threads(page: Page, post_id: int, max_id: int | None) -> dict[str, Any]:
    """A post and a page of its comment threads, as its page shows them."""
    async with page.services.read() as tx:
        p, handles = await _one(tx, page.principal, post_id)
        found, threads = await comments.list_threads(
            tx, page.principal, post_id, Window(max_id=max_id, limit=PAGE_SIZE)
        )
    more = f"/posts/{post_id}/comments?max_id={found.next_max_id}" if found.next_max_id else None
    return {"p": p, "handles": handles, "threads": threads, "more_url": more, "back": here(page)}


@router.get("/posts/{post_id}")
async def post_page(
    post_id: Id, page: MemberPage, reply_to: Cursor = None, max_id: Cursor = None
) -> Response:
    context = await _with_threads(page, post_id, max_id)
    replying = _find(context["threads"], reply_to) if reply_to else None
    return await show(
        page, "square/post.html", tab="discover", full=True, replying=replying, **context
    )


def _find(threads: list[CommentRead], comment_id: int) -> CommentRead | None:
    for c in threads:
        for one in (c, *c.replies):
            if one.id == comment_id:
                return one
    return None


@router.get("/posts/{post_id}/comments")
async def more_comments(post_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    context = await _with_threads(page, post_id, max_id)
    if page.htmx:
        await page.load_remarks()
        return render(page, "square/_threads.html", **context)
    return await show(page, "square/post.html", tab="discover", full=True, **context)


@router.post("/posts/{post_id}/comments")
async def comment(
    post_id: Id,
    page: MemberPage,
    text: Annotated[str, Form(max_length=10_000)] = "",
    reply_to_id: Annotated[str, Form(max_length=20)] = "",
    also_repost: Annotated[bool, Form()] = False,
) -> Response:
    async with page.services.write() as tx:
        made = await comments.do_comment(
            tx,
            page.principal,
            post_id,
            text=text,
            reply_to_id=_optional_id(reply_to_id),
            also_repost=also_repost,
        )
    return redirect(page, f"/posts/{post_id}#c{made.thread_id or made.id}")


@router.post("/posts/{post_id}/like")
async def like_post(post_id: Id, page: MemberPage, back: Back = "/square") -> Response:
    return await _like(page, post_id, back, like=True)


@router.post("/posts/{post_id}/unlike")
async def unlike_post(post_id: Id, page: MemberPage, back: Back = "/square") -> Response:
    return await _like(page, post_id, back, like=False)


async def _like(page: Page, post_id: int, back: str, *, like: bool) -> Response:
    """Like or unlike; an HTMX request gets the post's footer back with the new counts."""
    async with page.services.write() as tx:
        if like:
            await actions.do_like_post(tx, page.principal, post_id)
        else:
            await actions.do_unlike_post(tx, page.principal, post_id)
    if not page.htmx:
        return redirect(page, _local(back))
    async with page.services.read() as tx:
        p, _handles = await _one(tx, page.principal, post_id)
    return render(page, "square/_post_footer.html", p=p, back=_local(back))


@router.get("/posts/{post_id}/repost")
async def repost_form(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        p, handles = await _one(tx, page.principal, post_id)
    return await show(
        page,
        "square/repost.html",
        tab="discover",
        p=p,
        handles=handles,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/posts/{post_id}/reposts")
async def repost(
    post_id: Id,
    page: MemberPage,
    comment: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    async with page.services.write() as tx:
        made = await actions.do_repost(tx, page.principal, post_id, comment=comment)
    return redirect(page, f"/posts/{made.id}")


@router.get("/posts/{post_id}/edit")
async def edit_form(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        await actions.access_own_post(tx, page.principal, post_id)  # only its author edits
        p, handles = await _one(tx, page.principal, post_id)
    return await show(
        page,
        "square/edit.html",
        tab="discover",
        p=p,
        handles=handles,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/posts/{post_id}/edit")
async def edit(
    post_id: Id, page: MemberPage, text: Annotated[str, Form(max_length=100_000)] = ""
) -> Response:
    async with page.services.write() as tx:
        await actions.do_edit_post(tx, page.principal, post_id, text=text, media_ids=None)
    return redirect(page, f"/posts/{post_id}")


@router.post("/posts/{post_id}/delete")
async def delete(post_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await actions.do_delete_post(tx, page.principal, post_id)
    return redirect(page, "/square")


@router.get("/posts/{post_id}/history")
async def history(post_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        p, handles = await _one(tx, page.principal, post_id)
        edits = await queries.edit_history(tx, page.principal, post_id)
    urls = page.services.media_urls
    return await show(
        page,
        "square/history.html",
        tab="discover",
        p=p,
        handles=handles,
        edits=[PostEditRead.of(e, urls) for e in edits],
    )


# Comments


@router.get("/comments/{comment_id}/replies")
async def replies(comment_id: Id, page: MemberPage, min_id: Cursor = None) -> Response:
    """The replies of a thread after `min_id`, oldest first as a conversation reads."""
    async with page.services.read() as tx:
        _found, items = await comments.list_replies(
            tx, page.principal, comment_id, Window(min_id=min_id or 0, limit=PAGE_SIZE)
        )
    items.reverse()
    more = (
        f"/comments/{comment_id}/replies?min_id={items[-1].id}" if len(items) == PAGE_SIZE else None
    )
    context: dict[str, Any] = {
        "replies": items,
        "thread_id": comment_id,
        "more_url": more,
        "handles": {},
        "back": here(page),
    }
    if page.htmx:
        await page.load_remarks()
        return render(page, "square/_replies.html", **context)
    return await show(page, "square/replies.html", tab="discover", **context)


@router.post("/comments/{comment_id}/like")
async def like_comment(
    comment_id: Id,
    page: MemberPage,
    like: Annotated[bool, Form()] = True,
    back: Back = "/square",
) -> Response:
    async with page.services.write() as tx:
        c = await comments.do_like_comment(tx, page.principal, comment_id, like)
    if not page.htmx:
        return redirect(page, _local(back))
    return render(
        page,
        "square/_comment_like.html",
        c={"id": c.id, "like_count": c.like_count, "liked": like},
        back=_local(back),
    )


@router.post("/posts/{post_id}/comments/{comment_id}/delete")
async def delete_comment(post_id: Id, comment_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await comments.do_delete_comment(tx, page.principal, comment_id)
    return redirect(page, f"/posts/{post_id}#comments")


# Topics


@router.get("/topics")
async def trending(page: MemberPage) -> Response:
    async with page.services.read() as tx:
        rows = await topics.list_trending(tx)
    return await show(page, "square/topics.html", tab="discover", trending=rows)


@router.get("/topics/{name:path}")
async def topic(name: str, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        found_topic, found = await queries.topic_timeline(tx, page.principal, name[:100], window)
        posts, handles = await _shown(tx, page.principal, list(found.items))
    more = _more(topic_url(found_topic.name), found)
    return await _timeline_page(
        page,
        posts,
        handles,
        more,
        "square/topic.html",
        topic=found_topic,
        max_chars=page.services.settings.post_max_chars,
    )


# Topic groups (communities)


@router.get("/communities")
async def community_list(page: MemberPage, tab: Literal["mine", "all"] = "mine") -> Response:
    async with page.services.read() as tx:
        found = await communities.list_communities(tx, page.principal, mine=tab == "mine")
    return await show(page, "square/communities.html", tab="discover", which=tab, communities=found)


@router.post("/communities")
async def create_community(
    page: MemberPage,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    async with page.services.write() as tx:
        made = await communities.do_create_community(
            tx, page.principal, name=name, description=description
        )
    return redirect(page, f"/communities/{made.id}")


async def _community(tx: Tx, viewer: Principal, community_id: int) -> CommunityRead:
    found = await communities.access_community(tx, community_id)
    return CommunityRead.of(found, await communities.my_role(tx, viewer, community_id))


@router.get("/communities/{community_id}")
async def community(community_id: Id, page: MemberPage, max_id: Cursor = None) -> Response:
    window = Window(max_id=max_id, limit=PAGE_SIZE)
    async with page.services.read() as tx:
        group = await _community(tx, page.principal, community_id)
        found = await communities.community_timeline(tx, page.principal, community_id, window)
        posts, handles = await _shown(tx, page.principal, list(found.items))
    more = _more(f"/communities/{community_id}", found)
    return await _timeline_page(
        page,
        posts,
        handles,
        more,
        "square/community.html",
        community=group,
        max_chars=page.services.settings.post_max_chars,
    )


@router.post("/communities/{community_id}/join")
async def join(community_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_join(tx, page.principal, community_id)
    return redirect(page, f"/communities/{community_id}")


@router.post("/communities/{community_id}/leave")
async def leave(community_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_leave(tx, page.principal, community_id)
    return redirect(page, f"/communities/{community_id}")


@router.get("/communities/{community_id}/members")
async def members(community_id: Id, page: MemberPage) -> Response:
    async with page.services.read() as tx:
        group = await _community(tx, page.principal, community_id)
        found = await communities.list_members(tx, community_id)
        people = await load_account_rows(tx, [m.account_id for m in found])
    listed = [
        (people[m.account_id], m.role)
        for m in found
        if m.account_id in people and people[m.account_id].status == "active"
    ]
    return await show(page, "square/members.html", tab="discover", community=group, members=listed)


@router.post("/communities/{community_id}/moderators/{account_id}")
async def set_moderator(
    community_id: Id,
    account_id: Id,
    page: MemberPage,
    moderator: Annotated[bool, Form()] = False,
) -> Response:
    async with page.services.write() as tx:
        await communities.do_set_moderator(tx, page.principal, community_id, account_id, moderator)
    return redirect(page, f"/communities/{community_id}/members")


@router.post("/communities/{community_id}/posts/{post_id}/remove")
async def remove_from_community(community_id: Id, post_id: Id, page: MemberPage) -> Response:
    async with page.services.write() as tx:
        await communities.do_remove_post(tx, page.principal, community_id, post_id)
    return redirect(page, f"/communities/{community_id}")


# Search


@router.get("/search")
async def search(page: MemberPage, q: str = "") -> Response:
    q = q.strip()[:200]
    posts: list[PostRead] = []
    found_comments: list[CommentRead] = []
    handles: dict[str, int] = {}
    async with page.services.read() as tx:
        if q:
            found = await search_posts(tx, page.principal, q, limit=SEARCH_LIMIT)
            posts, handles = await _shown(tx, page.principal, found)
            commented = await search_comments(tx, page.principal, q, limit=SEARCH_LIMIT)
            found_comments = await comments.render_comments(
                tx, page.principal, [c for c, _ in commented]
            )
            people = await search_accounts(tx, page.principal, q, SEARCH_LIMIT)
            found_topics = await topics.search_topics(tx, q, SEARCH_LIMIT)
        else:
            people, found_topics = [], []
    return await show(
        page,
        "square/search.html",
        tab="discover",
        q=q,
        posts=posts,
        comments=found_comments,
        handles=handles,
        people=people,
        topics=found_topics,
        more_url=None,
        back=here(page),
    )
