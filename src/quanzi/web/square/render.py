"""What the square's pages share: where each part of a post's text links to (the text is cut
into parts by `kit.posttext.parts`, which the templates escape one by one), posts as the
viewer sees them with the accounts they mention, a timeline page (whole, or the next posts for
"load more"), and the addresses a page goes back to.

Who sees which post is the domain's `visible()` rule, inside every query used by these pages;
they only render what the domain returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Form, Query
from fastapi.responses import Response

from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.square import queries
from quanzi.domain.square.shapes import PostFields, PostRead
from quanzi.domain.tx import Tx
from quanzi.kit import posttext
from quanzi.kit.pagination import Page as Found
from quanzi.kit.text import handle_key
from quanzi.kit.wire import Id
from quanzi.web.page import Page, render, show, templates

PAGE_SIZE = 20
Cursor = Annotated[Id | None, Query()]
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


# Where to go back to, and the next page


def local_path(path: str, default: str = "/square") -> str:
    """Where to go back to after a form: a path on this site, never another site."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def here(page: Page) -> str:
    """The page the person is looking at (for an HTMX request, the page that made it)."""
    if page.htmx and (current := page.request.headers.get("hx-current-url")):
        split = urlsplit(current)
        return local_path(split.path + (f"?{split.query}" if split.query else ""))
    url = page.request.url
    return url.path + (f"?{url.query}" if url.query else "")


def next_page_url(path: str, found: Found[PostFields], **params: str) -> str | None:
    """The URL of the next (older) page of a timeline, if there is one."""
    if found.next_max_id is None:
        return None
    return f"{path}?{urlencode({**params, 'max_id': found.next_max_id})}"


def optional_id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 19 else None


# Posts as the viewer sees them


async def shown_posts(
    tx: Tx, viewer: Principal, posts: Sequence[PostFields]
) -> tuple[list[PostRead], dict[str, int]]:
    """Posts as the viewer sees them, and the accounts they mention (handle key -> id)."""
    reads = await queries.render_posts(tx, viewer, posts)
    return reads, await mentioned_handles(tx, reads)


async def mentioned_handles(tx: Tx, posts: Sequence[PostRead]) -> dict[str, int]:
    """The accounts the posts (and their originals) mention: handle key -> id."""
    mentioned: set[int] = set()
    for p in posts:
        mentioned.update(p.mentions)
        if p.reposted and p.reposted.post:
            mentioned.update(p.reposted.post.mentions)
    rows = await load_account_rows(tx, mentioned)
    return {key: r.id for r in rows.values() if (key := handle_key(r.handle))}


async def one_post(tx: Tx, viewer: Principal, post_id: int) -> tuple[PostRead, dict[str, int]]:
    post = await queries.view_post(tx, viewer, post_id)
    return post, await mentioned_handles(tx, [post])


async def timeline_page(
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
