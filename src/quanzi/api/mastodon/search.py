"""Search (v2: accounts, statuses, hashtags; Chinese and English), tags, trending tags.
Statuses are posts and comments (a comment is a reply), by rank."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon import render
from quanzi.api.mastodon.auth import MaybeReader, ReadSearch
from quanzi.api.mastodon.common import V1, V2, MastodonRoute, MastoJSON, Params
from quanzi.api.mastodon.entities import Urls, tag
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.contacts.queries import search_accounts
from quanzi.domain.square import topics
from quanzi.domain.square.search import search_posts_and_comments
from quanzi.errors import Invalid, NotFound

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)


@router.get(f"{V2}/search")
async def search(request: Request, viewer: ReadSearch, services: ServicesDep) -> Response:
    params = Params(dict(request.query_params))
    q = (params.text("q") or "").strip()[:200]
    if not q:
        raise Invalid("Give something to search for (q).", code="query_missing")
    kind = params.text("type")
    limit = params.number("limit", 20, 1, 40)
    offset = params.number("offset", 0, 0, 500)
    urls = Urls(services.settings.public_base)
    async with services.read() as tx:
        accounts = []
        if kind in (None, "", "accounts") and offset == 0:
            found = await search_accounts(tx, viewer, q.removeprefix("@"), limit)
            accounts = await render.accounts(tx, [AccountRow.of(a) for a in found])
        statuses = []
        if kind in (None, "", "statuses"):
            hits = await search_posts_and_comments(tx, viewer, q, limit=limit, offset=offset)
            statuses = await render.found_statuses(tx, viewer, hits)
        hashtags = []
        if kind in (None, "", "hashtags") and offset == 0:
            hashtags = [
                tag(t.name, urls) for t in await topics.search_topics(tx, q.strip("#"), limit)
            ]
    return MastoJSON({"accounts": accounts, "statuses": statuses, "hashtags": hashtags})


@router.get(f"{V1}/tags/{{name:path}}")
async def get_tag(name: str, viewer: MaybeReader, services: ServicesDep) -> Response:
    """Any tag name is a tag (whether anyone used it is not said: it may have been used only in
    posts the caller may not see)."""
    name = name.strip().strip("#")[:100]
    if not name:
        raise NotFound("Record not found")
    return MastoJSON(tag(name, Urls(services.settings.public_base)))


@router.get(f"{V1}/trends/tags")
@router.get(f"{V1}/trends")
async def trending_tags(services: ServicesDep) -> Response:
    urls = Urls(services.settings.public_base)
    async with services.read() as tx:
        rows = await topics.list_trending(tx)
    return MastoJSON([tag(topic.name, urls) for _, topic in rows])
