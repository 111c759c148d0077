"""Writing posts: posting, editing (earlier versions are kept), deleting, and erasing a post's
content with what hangs on it (mentions, images, topics, counts).

Counts (an author's and a community's posts, the reposts of what a repost points at) change
with `UPDATE ... SET n = n + 1` in the transaction that adds or erases the row they count, so
they stay exact under concurrent updates. Who is told of a post is `announce.py`; reposts,
`reposts.py`; likes, `likes.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, bindparam, delete, select, update

from quanzi.db.models import (
    Account,
    Community,
    CommunityMember,
    Media,
    Post,
    PostEdit,
    PostMedia,
    PostMention,
)
from quanzi.domain.accounts.cache import note_post_count
from quanzi.domain.accounts.queries import findable
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.checks import text_field
from quanzi.domain.events import POST_DELETED, POST_UPDATED
from quanzi.domain.media.claims import claim_media
from quanzi.domain.square.announce import (
    announce_post,
    audience_of,
    broadcast,
    emit_live,
    read_audience,
)
from quanzi.domain.square.queries import access_post
from quanzi.domain.square.shapes import MediaFacts
from quanzi.domain.square.shapes import media_ids as stored_media
from quanzi.domain.square.topics import TopicIds, link_topics, record_topic_events, unlink_topics
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, Invalid, NotFound
from quanzi.kit import posttext
from quanzi.kit.ids import new_id
from quanzi.kit.words import search_tokens

MAX_MEDIA = 9
VISIBILITIES = ("public", "followers", "mentioned")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
POSTS = cast(Table, Post.__table__)
POST_COLUMNS = tuple(c.key for c in POSTS.columns)
POST_MENTIONS = cast(Table, PostMention.__table__)
POST_MEDIA = cast(Table, PostMedia.__table__)


def check_text(tx: Tx, text: str, *, required: bool) -> str:
    text = text_field(
        text,
        field="text",
        what="A post",
        code="too_long",
        max_len=tx.settings.post_max_chars,
        lines=True,
    )
    if required and not text:
        raise Invalid(
            "A post needs some text or an image.", code="empty_post", details={"field": "text"}
        )
    return text


def _check_language(language: str | None) -> str | None:
    """An ISO 639 code (with an optional region, "zh-CN"), or nothing."""
    if not language:
        return None
    if not LANGUAGE.fullmatch(language):
        raise Invalid(
            "Language is an ISO 639 code such as zh or en.",
            code="invalid_language",
            details={"field": "language"},
        )
    return language


async def _attach_media(
    tx: Tx, viewer: Principal, media_ids: list[int], keep: Iterable[int] = ()
) -> list[Media]:
    """Images the author uploaded and has not used elsewhere (those in `keep` are the post's
    own already, when editing)."""
    ids = list(dict.fromkeys(media_ids))
    if len(ids) > MAX_MEDIA:
        raise Invalid(
            f"A post has at most {MAX_MEDIA} images.",
            code="too_many_media",
            details={"field": "media_ids"},
        )
    return await claim_media(tx, viewer.account_id, ids, "post", field="media_ids", keep=set(keep))


# The accounts a post's @handles name, among those its author may find by handle (the rule
# of lookups: not hidden from handle search, not blocking the author). The others stay plain
# text: no link, no notification, no id, so nobody learns from a mention that they are blocked.
_MENTIONABLE = select(Account.id).where(
    Account.handle_key.in_(bindparam("keys", expanding=True)),
    Account.id != bindparam("author"),
    findable(bindparam("author"), "handle"),
)


def _mentioned(conn: Connection, text: str, author_id: int) -> list[int]:
    keys = posttext.mentions(text)
    if not keys:
        return []
    return list(conn.execute(_MENTIONABLE, {"keys": keys, "author": author_id}).scalars())


@dataclass(frozen=True, slots=True)
class Indexed:
    mentioned: list[int]  # the accounts the text mentions
    topics: dict[int, str]  # id -> name


def _index(
    conn: Connection,
    post_id: int,
    author_id: int,
    text: str,
    media_ids: list[int],
    now: datetime,
    known: TopicIds | None,
) -> Indexed:
    """Mentions, topics and media links of a post's current text, written in a few statements
    (the post's row must exist; its search words are set by whoever writes the row)."""
    mentioned = _mentioned(conn, text, author_id)
    if mentioned:
        conn.execute(
            POST_MENTIONS.insert(), [{"post_id": post_id, "account_id": a} for a in mentioned]
        )
    if media_ids:
        conn.execute(
            POST_MEDIA.insert(),
            [{"post_id": post_id, "media_id": m, "position": i} for i, m in enumerate(media_ids)],
        )
    return Indexed(mentioned, link_topics(conn, post_id, posttext.topics(text), now, known))


async def index_post(tx: Tx, post: Post, media_ids: list[int]) -> Indexed:
    indexed = await tx.run_sync(
        _index, post.id, post.author_id, post.text, media_ids, tx.now, TopicIds.of(tx)
    )
    _remember_topics(tx, indexed)
    return indexed


def _remember_topics(tx: Tx, indexed: Indexed) -> None:
    """Once committed, the post's topics are known to exist (TopicIds)."""
    known = TopicIds.of(tx)
    if known is not None and indexed.topics:
        tx.after_commit(partial(known.remember, indexed.topics))


async def _unindex(tx: Tx, post: Post) -> None:
    await tx.session.execute(delete(PostMention).where(PostMention.post_id == post.id))
    await tx.session.execute(delete(PostMedia).where(PostMedia.post_id == post.id))
    await unlink_topics(tx, post.id)


@dataclass(frozen=True, slots=True)
class NewPost:
    """A post just written, with what its writing found out (whom it mentions, its topics),
    so that a door can show it at once without reading it back."""

    post: Post
    mentioned: list[int]
    topics: list[str]
    media: dict[int, MediaFacts]  # alt text and sizes of its images

    @property
    def id(self) -> int:
        return self.post.id


async def do_create_post(
    tx: Tx,
    viewer: Principal,
    *,
    text: str,
    media_ids: list[int] | None = None,
    visibility: str = "public",
    community_id: int | None = None,
    language: str | None = None,
) -> NewPost:
    media_ids = media_ids or []
    if visibility not in VISIBILITIES:
        raise Invalid(
            "Visibility is public, followers or mentioned.",
            code="invalid_visibility",
            details={"field": "visibility"},
        )
    text = check_text(tx, text, required=not media_ids)
    if community_id is not None:
        await _community_member(tx, viewer, community_id)
    post = Post(
        id=new_id(),
        author_id=viewer.account_id,
        text=text,
        visibility=visibility,
        root_id=None,
        parent_id=None,
        community_id=community_id,
        removed_from_community=False,
        media_ids=orjson.dumps([str(i) for i in media_ids]).decode() if media_ids else "",
        language=_check_language(language),
        repost_count=0,
        comment_count=0,
        like_count=0,
        view_count=0,
        created_at=tx.now,
        edited_at=None,
        deleted_at=None,
    )
    media = await _attach_media(tx, viewer, media_ids)
    described = {m.id: MediaFacts.of(m) for m in media}
    post.search_tokens = search_tokens(text)
    if community_id is not None:
        await tx.session.execute(
            update(Community)
            .where(Community.id == community_id)
            .values(post_count=Community.post_count + 1)
        )
    row = {c: getattr(post, c) for c in POST_COLUMNS}
    written = await tx.run_sync(_write_post, row, [m.id for m in media], tx.now, TopicIds.of(tx))
    _remember_topics(tx, written.indexed)
    if written.post_count is not None:
        note_post_count(tx, viewer.account_id, written.post_count)
    await announce_post(tx, post, written.indexed.mentioned, written.audience)
    return NewPost(
        post, written.indexed.mentioned, list(written.indexed.topics.values()), described
    )


@dataclass(frozen=True, slots=True)
class _Written:
    indexed: Indexed
    post_count: int | None  # the author's, with this post
    audience: list[int]  # who is sent the post live (`read_audience`)


def _write_post(
    conn: Connection,
    row: dict[str, Any],
    media: list[int],
    now: datetime,
    known: TopicIds | None,
) -> _Written:
    """A new post's rows: the post (one INSERT, not through the session's unit of work, which
    costs more than the rest of the post together; the Post that do_create_post returns is not
    in the session), its mentions, images and topics, the author's count, the topics' trending
    events; and who follows the author, all in one switch (Tx.run_sync)."""
    conn.execute(POSTS.insert(), row)
    post_id, author_id, visibility = row["id"], row["author_id"], row["visibility"]
    indexed = _index(conn, post_id, author_id, row["text"], media, now, known)
    post_count = _count(conn, author_id, 1)
    if visibility == "public":
        record_topic_events(conn, list(indexed.topics), author_id, "post", now)
    audience = read_audience(conn, post_id, author_id, visibility, indexed.mentioned)
    return _Written(indexed, post_count, audience)


async def access_own_post(tx: Tx, viewer: Principal, post_id: int) -> Post:
    """The viewer's own post, to change it: NotFound if hidden or missing, Forbidden if it is
    someone else's."""
    post = await access_post(tx, viewer, post_id)
    if post.author_id != viewer.account_id:
        raise Forbidden("That is not your post.", code="not_yours")
    return post


async def do_edit_post(
    tx: Tx, viewer: Principal, post_id: int, *, text: str, media_ids: list[int] | None
) -> Post:
    """Change a post's text (and images); the earlier version is kept and can be read."""
    post = await access_own_post(tx, viewer, post_id)
    if post.root_id is not None:
        raise Invalid("A repost cannot be edited.", code="not_editable")
    old_media = stored_media(post.media_ids)
    new_media = old_media if media_ids is None else media_ids
    text = check_text(tx, text, required=not new_media)
    tx.session.add(
        PostEdit(
            id=new_id(),
            post_id=post.id,
            text=post.text,
            media_ids=post.media_ids,
            created_at=post.edited_at or post.created_at,
        )
    )
    await _unindex(tx, post)
    # Images of earlier versions stay the post's (its history shows them to whoever sees it).
    history = await _history_media(tx, post.id)
    media = [m.id for m in await _attach_media(tx, viewer, new_media, keep=[*old_media, *history])]
    post.text = text
    post.search_tokens = search_tokens(text)
    post.media_ids = orjson.dumps([str(i) for i in media]).decode() if media else ""
    post.edited_at = tx.now
    await tx.session.flush()
    mentioned = (await index_post(tx, post, media)).mentioned
    for media_id in [i for i in dict.fromkeys([*history, *old_media]) if i not in media]:
        tx.session.add(PostMedia(post_id=post.id, media_id=media_id, position=-1))
    await tx.session.flush()
    emit_live(tx, POST_UPDATED, post, await audience_of(tx, post, mentioned))
    broadcast(tx, "updated", post)
    return post


async def do_delete_post(tx: Tx, viewer: Principal, post_id: int) -> None:
    """Delete a post: its content goes; reposts of it then show it as deleted."""
    post = await access_own_post(tx, viewer, post_id)
    await erase_announced(tx, post)


async def erase_announced(tx: Tx, post: Post) -> None:
    """Erase a post and say so live to whoever was sent it (read before its mentions go)."""
    audience, text = await audience_of(tx, post), post.text
    await erase_post(tx, post)
    emit_live(tx, POST_DELETED, post, audience)
    broadcast(tx, "deleted", post, text)


async def _history_media(tx: Tx, post_id: int) -> list[int]:
    """The images of a post's earlier versions."""
    kept = await tx.session.scalars(select(PostEdit.media_ids).where(PostEdit.post_id == post_id))
    return list(dict.fromkeys(int(i) for ids in kept if ids for i in orjson.loads(ids)))


async def count_posts(tx: Tx, author_id: int, delta: int) -> None:
    """Keep the author's post count (profiles show it) in step with a post written or erased.
    Cached rows of the author take the new count as it is (`note_post_count`), rather than
    being dropped and read again at the next page that shows the author."""
    counted = await tx.run_sync(_count, author_id, delta)
    if counted is not None:
        note_post_count(tx, author_id, counted)


def _count(conn: Connection, author_id: int, delta: int) -> int | None:
    counted = conn.scalar(_COUNT_POSTS, {"author": author_id, "delta": delta})
    return None if counted is None else int(counted)


_COUNT_POSTS = (
    update(Account)
    .where(Account.id == bindparam("author"))
    .values(post_count=Account.post_count + bindparam("delta"))
    .returning(Account.post_count)
)


async def erase_post(tx: Tx, post: Post) -> None:
    # Its images, of every version, go back to their uploader alone (then are erased,
    # domain/media/sweep.py).
    media = select(PostMedia.media_id).where(PostMedia.post_id == post.id)
    await tx.session.execute(
        update(Media)
        .where(Media.id.in_(media), Media.attached_to == "post")
        .values(attached_to=None)
        .execution_options(synchronize_session=False)
    )
    await _unindex(tx, post)
    for parent in {post.root_id, post.parent_id} - {None}:
        await tx.session.execute(
            update(Post).where(Post.id == parent).values(repost_count=Post.repost_count - 1)
        )
    if post.community_id is not None and not post.removed_from_community:
        await tx.session.execute(
            update(Community)
            .where(Community.id == post.community_id)
            .values(post_count=Community.post_count - 1)
        )
    if post.deleted_at is None:
        await count_posts(tx, post.author_id, -1)
    post.text = post.search_tokens = post.media_ids = ""
    post.deleted_at = tx.now
    await tx.session.execute(delete(PostEdit).where(PostEdit.post_id == post.id))


# Communities need membership to post: kept here so posting stays in one module.


async def _community_member(tx: Tx, viewer: Principal, community_id: int) -> CommunityMember:
    member = await tx.session.get(CommunityMember, (community_id, viewer.account_id))
    if member is None:
        exists = await tx.session.get(Community, community_id)
        if exists is None:
            raise NotFound("No such community.")
        raise Forbidden("Join the community to post in it.", code="not_a_member")
    return member
