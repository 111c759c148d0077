"""Mastodon's entities, made from what the domain renders (PostRead, CommentRead,
AccountPublic, MediaRef …). Plain dicts: they go out as JSON as they are.

How quanzi maps onto Mastodon (docs/mastodon.md):
- a status is a square post, or a comment on one (a reply: `in_reply_to_id` is the post, or
  the comment it answers);
- a plain repost is a reblog; a repost with a comment is a status of its own whose text is the
  comment (with its `//@user:` chain), which quotes the original: Mastodon's `quote` attribute
  for the clients that show quotes, and a "RE: <link>" line for the others;
- visibility: public is public; followers-only is private; mentioned-only is direct.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from quanzi.api.mastodon.common import day, when
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.square.shapes import (
    CommentRead,
    MediaRef,
    PostEditRead,
    PostRead,
    is_plain_repost,
)
from quanzi.kit.posttext import Part, to_html
from quanzi.kit.text import handle_key

# quanzi's visibility -> Mastodon's, and what a Mastodon client asks for -> quanzi's. Unlisted
# (public, but kept off public timelines) has no twin in quanzi: it becomes followers-only,
# which shows the post to fewer people, never to more.
VISIBILITY_OUT = {"public": "public", "followers": "private", "mentioned": "direct"}
VISIBILITY_IN = {
    "public": "public",
    "unlisted": "followers",
    "private": "followers",
    "direct": "mentioned",
}

Entity = dict[str, Any]


class Urls:
    """Where things live on this server's web pages."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.avatar_missing = f"{base}/static/avatar.png"
        self.header_missing = f"{base}/static/header.png"

    def account(self, handle: str) -> str:
        return f"{self.base}/square/at/{handle}"

    def post(self, post_id: int) -> str:
        return f"{self.base}/posts/{post_id}"

    def comment(self, post_id: int, comment_id: int) -> str:
        return f"{self.base}/posts/{post_id}#comment-{comment_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/topics/{quote(name, safe='')}"


def account(a: AccountPublic, urls: Urls) -> Entity:
    avatar = a.avatar_url or urls.avatar_missing
    return {
        "id": str(a.id),
        "username": a.handle,
        "acct": a.handle,
        "display_name": a.display_name,
        "locked": a.locked,
        "bot": False,
        "discoverable": True,
        "indexable": False,
        "group": False,
        "created_at": day(a.created_at),
        "note": _html(a.bio, {}, urls) if a.bio else "",
        "url": urls.account(a.handle),
        "uri": urls.account(a.handle),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": urls.header_missing,
        "header_static": urls.header_missing,
        "followers_count": a.followers_count,
        "following_count": a.following_count,
        "statuses_count": a.post_count,
        "last_status_at": None,
        "hide_collections": False,
        "noindex": True,
        "emojis": [],
        "roles": [],
        "fields": [],
    }


def media_meta(width: int | None, height: int | None, thumb: tuple[int, int] | None) -> Entity:
    """Mastodon's `meta` of an attachment: the sizes of the image and of its preview (apps lay
    photos out with them before they load); empty where the sizes are not known."""

    def size(w: int, h: int) -> Entity:
        return {"width": w, "height": h, "aspect": round(w / max(1, h), 4)}

    if not width or not height or thumb is None:
        return {}
    return {"original": size(width, height), "small": size(*thumb)}


def media_attachment(m: MediaRef) -> Entity:
    thumb = (
        (m.thumbnail_width, m.thumbnail_height)
        if m.thumbnail_width and m.thumbnail_height
        else None
    )
    return {
        "id": str(m.id),
        "type": "image",
        "url": m.url,
        "preview_url": m.thumbnail_url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": media_meta(m.width, m.height, thumb),
        "description": m.description,
        "blurhash": None,
    }


def tag(name: str, urls: Urls) -> Entity:
    return {"name": name, "url": urls.tag(name), "history": [], "following": False}


def _html(text: str, handles: dict[str, str], urls: Urls) -> str:
    """Text as HTML: topics link to their timeline, mentions of the accounts in `handles`
    (handle key -> URL) to them, a repost chain's `//@handle:` to the person by handle; other
    @handles stay text."""

    def href(part: Part) -> str | None:
        if part.kind == "topic":
            return urls.tag(part.value)
        known = handles.get(handle_key(part.value) or "")
        return urls.account(part.value) if known is None and part.kind == "chain" else known

    return to_html(text, href=href)


def _mentions(ids: list[int], known: dict[int, AccountPublic], urls: Urls) -> list[Entity]:
    return [
        {
            "id": str(i),
            "username": known[i].handle,
            "acct": known[i].handle,
            "url": urls.account(known[i].handle),
        }
        for i in ids
        if i in known
    ]


class StatusMaker:
    """Makes the statuses of one response: what it needs about mentioned accounts, the
    viewer's reposts is gathered for the whole page beforehand."""

    def __init__(
        self,
        urls: Urls,
        *,
        mentioned: dict[int, AccountPublic],
        reblogged: set[int],
        viewer_id: int | None,
    ) -> None:
        self.urls = urls
        self.mentioned = mentioned
        self.handles = {
            key: urls.account(a.handle)
            for a in mentioned.values()
            if (key := handle_key(a.handle)) is not None
        }
        self.reblogged = reblogged
        self.viewer_id = viewer_id

    def account(self, a: AccountPublic) -> Entity:
        return account(a, self.urls)

    def post(self, p: PostRead) -> Entity:
        """A post: a reblog when it is a plain repost, else a status (quoting its original
        when it is a repost with a comment)."""
        if is_plain_repost(p):
            assert p.reposted is not None
            original = p.reposted.post
            inner = self._status(original) if original is not None else None
            entity = self._status(p, content="")
            entity["reblog"] = inner
            return entity
        return self._status(p)

    def _status(self, p: PostRead, *, content: str | None = None) -> Entity:
        html = _html(p.text, self.handles, self.urls) if content is None else content
        quoted = None
        if p.reposted is not None and p.text:
            original = p.reposted.post
            link = self.urls.post(p.reposted.id)
            html += (
                f'<p class="quote-inline">RE: <a href="{link}">{link}</a></p>'
                if original is not None
                else ""
            )
            quoted = {
                "state": "accepted" if original is not None else "deleted",
                "quoted_status": self._status(original) if original is not None else None,
            }
        return {
            "id": str(p.id),
            "created_at": when(p.created_at),
            "edited_at": when(p.edited_at),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": VISIBILITY_OUT[p.visibility],
            "language": p.language,
            "uri": self.urls.post(p.id),
            "url": self.urls.post(p.id),
            "replies_count": p.counts.comments,
            "reblogs_count": p.counts.reposts,
            "favourites_count": p.counts.likes,
            "quotes_count": 0,
            "favourited": p.liked,
            "reblogged": p.id in self.reblogged,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": html,
            "filtered": [],
            "reblog": None,
            "quote": quoted,
            "application": None,
            "account": self.account(p.author),
            "media_attachments": [media_attachment(m) for m in p.media],
            "mentions": _mentions(p.mentions, self.mentioned, self.urls),
            "tags": [tag(t, self.urls) for t in p.topics],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def comment(self, c: CommentRead, post: PostRead) -> Entity:
        """A comment: a reply to the post, or to the comment it answers."""
        return {
            "id": str(c.id),
            "created_at": when(c.created_at),
            "edited_at": None,
            "in_reply_to_id": str(c.reply_to_id or c.post_id),
            "in_reply_to_account_id": str(
                c.reply_to_account.id if c.reply_to_account else post.author.id
            ),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": VISIBILITY_OUT[post.visibility],
            "language": None,
            "uri": self.urls.comment(c.post_id, c.id),
            "url": self.urls.comment(c.post_id, c.id),
            "replies_count": c.reply_count if c.thread_id == c.id else 0,
            "reblogs_count": 0,
            "favourites_count": c.like_count,
            "quotes_count": 0,
            "favourited": c.liked,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": _html(c.text, self.handles, self.urls),
            "filtered": [],
            "reblog": None,
            "quote": None,
            "application": None,
            "account": self.account(c.author),
            "media_attachments": [],
            "mentions": (
                _mentions(
                    [c.reply_to_account.id], {c.reply_to_account.id: c.reply_to_account}, self.urls
                )
                if c.reply_to_account
                else []
            ),
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def edit(self, e: PostEditRead, p: PostRead) -> Entity:
        return {
            "content": _html(e.text, self.handles, self.urls),
            "spoiler_text": "",
            "sensitive": False,
            "created_at": when(e.written_at),
            "account": self.account(p.author),
            "poll": None,
            "media_attachments": [media_attachment(m) for m in e.media],
            "emojis": [],
        }


def relationship(
    other_id: int,
    *,
    following: bool,
    requested: bool,
    followed_by: bool,
    blocking: bool,
    note: str = "",
) -> Entity:
    return {
        "id": str(other_id),
        "following": following,
        "showing_reblogs": following,
        "notifying": False,
        "languages": None,
        "followed_by": followed_by,
        "blocking": blocking,
        "blocked_by": False,  # never told (as the native API)
        "muting": False,
        "muting_notifications": False,
        "requested": requested,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": note,
    }
