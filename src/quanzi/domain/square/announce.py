"""Telling people about a post: those it mentions are notified (if they may see it), and its
live events go to the author and its audience (the followers, or those mentioned) and, for a
public post, to whoever watches the public square live."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import Connection, bindparam, select

from quanzi.db.models import Follow, Post, PostMention
from quanzi.domain.events import (
    POST_NEW,
    POST_PUBLIC,
    PostRef,
    PublicPost,
)
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.square.queries import blocked_between
from quanzi.domain.tx import Tx
from quanzi.kit import posttext
from quanzi.realtime.events import EventType

LIVE_CHUNK = 5000  # recipients per POST_NEW / POST_UPDATED / POST_DELETED event
Change = Literal["new", "updated", "deleted"]


async def announce_post(tx: Tx, post: Post, mentioned: list[int], audience: list[int]) -> None:
    """Notify who was mentioned (if they may see the post) and push the post live to
    `audience` (`read_audience`: the followers, or those mentioned), and to the public square's
    watchers if it is public."""
    author = post.author_id
    may_see = set(mentioned)
    if mentioned and post.visibility == "followers":
        may_see &= set(
            (
                await tx.session.execute(
                    select(Follow.follower_id).where(
                        Follow.followee_id == author,
                        Follow.status == "active",
                        Follow.follower_id.in_(mentioned),
                    )
                )
            ).scalars()
        )
    for account_id in sorted(may_see):
        blocked = await tx.session.scalar(select(blocked_between(account_id, author)))
        if not blocked:
            await do_notify(
                tx,
                account_id,
                "mention",
                subject_id=post.id,
                actor_id=author,
                data={"post_id": str(post.id)},
            )
    emit_live(tx, POST_NEW, post, audience)
    broadcast(tx, "new", post)


def read_audience(
    conn: Connection,
    post_id: int,
    author_id: int,
    visibility: str,
    mentioned: Iterable[int] | None = None,
) -> list[int]:
    """Who besides the author is sent a post's live events: for a post to those mentioned only,
    the accounts it mentions (`mentioned`, or read from the post); otherwise the author's
    followers. The events carry ids only, and a door shows the post only to whom may see it."""
    if visibility == "mentioned":
        if mentioned is None:
            mentioned = conn.execute(_MENTIONED_IN, {"post": post_id}).scalars()
        return sorted(set(mentioned))
    return list(conn.execute(_FOLLOWERS_OF, {"author": author_id}).scalars())


async def audience_of(tx: Tx, post: Post, mentioned: Iterable[int] | None = None) -> list[int]:
    return await tx.run_sync(read_audience, post.id, post.author_id, post.visibility, mentioned)


_FOLLOWERS_OF = select(Follow.follower_id).where(
    Follow.followee_id == bindparam("author"), Follow.status == "active"
)
_MENTIONED_IN = select(PostMention.account_id).where(PostMention.post_id == bindparam("post"))


def emit_live(tx: Tx, kind: EventType[PostRef], post: Post, audience: list[int]) -> None:
    """A post's live event for its author and `audience`, in chunks of LIVE_CHUNK recipients."""
    ref = PostRef(post_id=post.id, author_id=post.author_id)
    for start in range(0, len(audience) + 1, LIVE_CHUNK):
        chunk = audience[start : start + LIVE_CHUNK]
        tx.emit(kind(ref, users=[post.author_id, *chunk] if start == 0 else chunk))


def broadcast(tx: Tx, change: Change, post: Post, text: str | None = None) -> None:
    """Tell the public square's live watchers about a public post (POST_PUBLIC); `text` is
    whose topics to name (the post's own text unless given: a deleted post has none left)."""
    if post.visibility != "public":
        return
    topics = posttext.topics(post.text if text is None else text)
    keys = list(dict.fromkeys(posttext.topic_key(t) for t in topics))
    public = PublicPost(post_id=post.id, author_id=post.author_id, change=change, topics=keys)
    tx.emit(POST_PUBLIC(public))
