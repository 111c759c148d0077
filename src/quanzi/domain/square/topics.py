"""Topics: linking posts to #topics#, counting them, and trending (Weibo's hot search).

Trending ranks topics by recent engagement velocity: every post, repost, comment and like that
touches a topic records an event for (topic, account, window of WINDOW_MINUTES); the primary key
keeps one event per account, topic and window, so one account counts once however much it
posts (spam-resistant). A refresh sums the events of the last SPAN with exponential decay
(half-life HALF_LIFE) and keeps the top 50 in `trending_topics`. One process refreshes it each
minute (jobs/periodic.py); readers read the table.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from quanzi.db.engine import Database
from quanzi.db.models import Post, PostTopic, Topic, TopicEvent, TrendingTopic
from quanzi.db.upsert import insert_new_only
from quanzi.domain.tx import Tx
from quanzi.kit.ids import new_id
from quanzi.kit.posttext import topic_key

WINDOW_MINUTES = 10
SPAN_WINDOWS = 6  # the last hour
HALF_LIFE_MINUTES = 20.0
TOP = 50
WEIGHTS = {"post": 1.0, "repost": 0.8, "comment": 0.5, "like": 0.3}
EVENTS = cast(Table, TopicEvent.__table__)
TOPICS = cast(Table, Topic.__table__)
POST_TOPICS = cast(Table, PostTopic.__table__)


def current_window(at: datetime | None = None) -> int:
    seconds = (at or datetime.now(UTC)).timestamp()
    return int(seconds // 60 // WINDOW_MINUTES)


# The ids of topics by key, and the statements that link a post to its topics: built once,
# run for every post written.
_TOPICS_BY_KEY = select(Topic.id, Topic.key, Topic.name).where(
    Topic.key.in_(bindparam("keys", expanding=True))
)


def link_topics(
    conn: Connection,
    post_id: int,
    names: list[str],
    now: datetime,
    known: TopicIds | None = None,
) -> dict[int, str]:
    """Attach the named topics to a post, making new topics as needed (two posts may make
    one at the same moment: the second finds the first's); counts follow (by trigger). The
    topics, id to name (as first written), in the order of `names`. Topics in `known` are not
    looked up. (Synchronous: see Tx.run_sync.)"""
    if not names:
        return {}
    keys = {topic_key(n): n for n in names}
    found: dict[str, tuple[int, str]] = {}
    missing = []
    for k in keys:
        seen = known.get(k) if known is not None else None
        if seen is not None:
            found[k] = seen
        else:
            missing.append(k)
    if missing:
        for i, k, name in conn.execute(_TOPICS_BY_KEY, {"keys": missing}):
            found[k] = (i, name)
        new = [k for k in missing if k not in found]
        if new:
            made = [
                {"id": new_id(), "name": keys[k], "key": k, "post_count": 0, "created_at": now}
                for k in new
            ]
            conn.execute(insert_new_only(conn.dialect.name, TOPICS).values(made))
            for i, k, name in conn.execute(_TOPICS_BY_KEY, {"keys": new}):
                found[k] = (i, name)
    linked = dict(found[k] for k in keys)
    conn.execute(POST_TOPICS.insert(), [{"topic_id": i, "post_id": post_id} for i in linked])
    return linked


class TopicIds:
    """The ids of topics this process has seen committed, by key. A topic is never renamed nor
    deleted, so a post that names known topics does not look them up. Filled after commits
    only (`remember`): a topic made in a transaction that rolls back is never known."""

    MAX = 100_000

    @classmethod
    def of(cls, tx: Tx) -> TopicIds | None:
        """This process's known topics, as the transaction's shared parts hold them."""
        return tx.shared.get(cls)

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[int, str]] = {}

    def get(self, key: str) -> tuple[int, str] | None:
        return self._by_key.get(key)

    def remember(self, topics: dict[int, str]) -> None:
        if len(self._by_key) >= self.MAX:
            self._by_key.clear()
        for topic_id, name in topics.items():
            self._by_key[topic_key(name)] = (topic_id, name)


async def unlink_topics(tx: Tx, post_id: int) -> None:
    """Detach a post from its topics (their counts follow, by trigger)."""
    await tx.session.execute(delete(PostTopic).where(PostTopic.post_id == post_id))


def record_topic_events(
    conn: Connection, topic_ids: list[int], account_id: int, kind: str, now: datetime
) -> None:
    """One event per topic (if the account has none in this window yet), for topics of a
    public post. (Synchronous: see Tx.run_sync.)"""
    if not topic_ids:
        return
    window, weight = current_window(now), WEIGHTS[kind]
    conn.execute(
        _new_events(conn.dialect.name),
        [
            {"topic_id": t, "account_id": account_id, "window": window, "weight": weight}
            for t in topic_ids
        ],
    )


@functools.cache
def _new_events(dialect: str) -> Any:
    return insert_new_only(dialect, EVENTS)


async def record_engagement(tx: Tx, post_id: int, account_id: int, kind: str) -> None:
    """One event per topic of the post (if the account has none in this window yet). Only
    public posts count: trending is shown to everyone, and must not tell anyone what is being
    said in followers-only or mentioned-only posts."""
    await tx.run_sync(_engage, post_id, account_id, kind, tx.now)


def _engage(conn: Connection, post_id: int, account_id: int, kind: str, now: datetime) -> None:
    topic_ids = list(conn.execute(_PUBLIC_TOPICS_OF, {"post": post_id}).scalars())
    record_topic_events(conn, topic_ids, account_id, kind, now)


_PUBLIC_TOPICS_OF = (
    select(PostTopic.topic_id)
    .join(Post, Post.id == PostTopic.post_id)
    .where(PostTopic.post_id == bindparam("post"), Post.visibility == "public")
)


def score(windows: dict[int, float], now_window: float) -> float:
    """Engagement per window, decayed by age (half-life HALF_LIFE_MINUTES)."""
    total = 0.0
    for window, weight in windows.items():
        age_minutes = (now_window - window) * WINDOW_MINUTES
        total += weight * math.pow(0.5, age_minutes / HALF_LIFE_MINUTES)
    return total


async def refresh_trending(db: Database, now: datetime | None = None) -> list[tuple[int, float]]:
    """Recompute the top topics from the last hour's events and store them."""
    now = now or datetime.now(UTC)
    now_window = now.timestamp() / 60 / WINDOW_MINUTES
    oldest = current_window(now) - SPAN_WINDOWS + 1
    async with db.read_session() as session:
        rows = (
            await session.execute(
                select(TopicEvent.topic_id, TopicEvent.window, func.sum(TopicEvent.weight))
                .where(TopicEvent.window >= oldest)
                .group_by(TopicEvent.topic_id, TopicEvent.window)
            )
        ).all()
    per_topic: dict[int, dict[int, float]] = defaultdict(dict)
    for topic_id, window, weight in rows:
        per_topic[topic_id][window] = float(weight)
    ranked = sorted(
        ((topic_id, score(ws, now_window)) for topic_id, ws in per_topic.items()),
        key=lambda pair: (-pair[1], pair[0]),
    )[:TOP]
    try:
        async with db.write_session() as session:
            await session.execute(delete(TrendingTopic))
            await session.execute(delete(TopicEvent).where(TopicEvent.window < oldest - 1))
            for rank, (topic_id, value) in enumerate(ranked, start=1):
                session.add(
                    TrendingTopic(
                        rank=rank, topic_id=topic_id, score=round(value, 4), refreshed_at=now
                    )
                )
            await session.commit()
    except IntegrityError:  # another process refreshed at the same moment: theirs stands
        pass
    return ranked


async def list_trending(tx: Tx) -> list[tuple[TrendingTopic, Topic]]:
    rows = await tx.session.execute(
        select(TrendingTopic, Topic)
        .join(Topic, Topic.id == TrendingTopic.topic_id)
        .order_by(TrendingTopic.rank)
    )
    return [(t, topic) for t, topic in rows.all()]


async def search_topics(tx: Tx, text: str, limit: int) -> list[Topic]:
    """Topics whose name contains `text`: names that start with it first, then the busiest.
    Only topics of a public post are found: the name of one used only in followers-only or
    mentioned-only posts is part of those posts, which strangers may not read."""
    key = topic_key(text)
    if not key:
        return []
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts = Topic.key.like(f"{escaped}%", escape="\\")
    rows = await tx.session.execute(
        select(Topic)
        .where(Topic.key.like(f"%{escaped}%", escape="\\"), _in_a_public_post())
        .order_by((Topic.key == key).desc(), starts.desc(), Topic.post_count.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def _in_a_public_post() -> ColumnElement[bool]:
    return exists(
        select(PostTopic.post_id)
        .join(Post, Post.id == PostTopic.post_id)
        .where(
            PostTopic.topic_id == Topic.id,
            Post.visibility == "public",
            Post.deleted_at.is_(None),
        )
    )
