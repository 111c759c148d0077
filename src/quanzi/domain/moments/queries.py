"""Reading Moments, with the audience and mutual-friend rules in the queries (rules.py).

A page of Moments is rendered with a fixed number of statements whatever its size: the
Moments, their images, the likes and the comments the viewer may see (each filtered in SQL),
the audiences of the viewer's own Moments, and the accounts not in the account cache. The
feed's statements are built once and run on the transaction's connection: their rows are
rendered as they come (MomentFields, CommentFields), without making ORM objects of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from quanzi.db.models import (
    Contact,
    Media,
    Moment,
    MomentAudience,
    MomentComment,
    MomentLike,
    MomentMedia,
)
from quanzi.db.paginate import candidate_batch, filtered_page, newest_span_first, window_query
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.queries import access_account, load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.media.shapes import MediaRead
from quanzi.domain.media.urls import Holder
from quanzi.domain.moments.rules import BOUND_NOW, interaction_visible, moment_visible
from quanzi.domain.moments.shapes import (
    AudienceRead,
    CommentFields,
    CommentRead,
    MomentFields,
    MomentRead,
)
from quanzi.domain.tx import Tx
from quanzi.errors import NotFound
from quanzi.kit.ids import MAX_ID
from quanzi.kit.pagination import Page, Window

# The feed reads the last week first, wider spans only when it holds too few (newest_span_first).
FEED_SPANS = (timedelta(days=7), timedelta(days=60), timedelta(days=730), None)

# The statements of the feed, built once (see rules.py): executed with the viewer as "viewer",
# the ids of the Moments as "ids" and the time as BOUND_NOW.values(now).
_VIEWER: BindParameter[int] = bindparam("viewer")
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_VISIBLE_AMONG = {
    ascending: select(Moment)
    .where(Moment.id.in_(_IDS), moment_visible(_VIEWER, BOUND_NOW))
    .order_by(Moment.id.asc() if ascending else Moment.id.desc())
    for ascending in (False, True)
}


# The first round of filtered_page for a newest-first page of the feed, as one statement: of
# the newest "batch" candidates from "through" down to "after", the first "need" the viewer may
# see (the database stops checking once it has them), each with the number of candidates that
# round had ("candidates"). Fewer than "need" from a full round: the page is read the long way
# (filtered_page), which goes on to the next candidates.
def _in_feed(author: Any, viewer: int | BindParameter[int]) -> ColumnElement[bool]:
    """The Moments that may be in `viewer`'s feed: their own and those of their contacts."""
    contacts = select(Contact.friend_id).where(Contact.owner_id == viewer)
    return or_(author == viewer, author.in_(contacts))


_candidate = aliased(Moment)
_FEED_ROUND = (
    select(_candidate.id)
    .where(
        _in_feed(_candidate.author_id, _VIEWER),
        _candidate.id <= bindparam("through"),
        _candidate.id > bindparam("after"),
    )
    .order_by(_candidate.id.desc())
    .limit(bindparam("batch"))
)
_FEED_FIRST_ROUND = (
    select(
        Moment,
        select(func.count())
        .select_from(_FEED_ROUND.subquery())
        .scalar_subquery()
        .label("candidates"),
    )
    .where(Moment.id.in_(_FEED_ROUND), moment_visible(_VIEWER, BOUND_NOW))
    .order_by(Moment.id.desc())
    .limit(bindparam("need"))
)
_LIKES_SHOWN = (
    select(MomentLike.moment_id, MomentLike.account_id)
    .join(Moment, Moment.id == MomentLike.moment_id)
    .where(MomentLike.moment_id.in_(_IDS), interaction_visible(_VIEWER, MomentLike.account_id))
    .order_by(MomentLike.created_at, MomentLike.account_id)
)
_COMMENTS_SHOWN = (
    select(MomentComment)
    .join(Moment, Moment.id == MomentComment.moment_id)
    .where(
        MomentComment.moment_id.in_(_IDS),
        MomentComment.deleted_at.is_(None),
        interaction_visible(_VIEWER, MomentComment.author_id, MomentComment.reply_to_account_id),
    )
    .order_by(MomentComment.id)
)


async def access_moment(tx: Tx, viewer: Principal, moment_id: int) -> Moment:
    """The Moment if `viewer` may see it now, else NotFound (missing and hidden alike)."""
    moment = (
        await tx.session.execute(
            select(Moment).where(Moment.id == moment_id, moment_visible(viewer.account_id, tx.now))
        )
    ).scalar_one_or_none()
    if moment is None:
        raise NotFound("No such Moment.")
    return moment


async def access_comment(
    tx: Tx, viewer: Principal, moment: Moment, comment_id: int
) -> MomentComment:
    """A comment on `moment` (which the viewer may see) that the viewer may see."""
    comment = (
        await tx.session.execute(
            select(MomentComment)
            .join(Moment, Moment.id == MomentComment.moment_id)
            .where(
                MomentComment.id == comment_id,
                MomentComment.moment_id == moment.id,
                MomentComment.deleted_at.is_(None),
                interaction_visible(
                    viewer.account_id, MomentComment.author_id, MomentComment.reply_to_account_id
                ),
            )
        )
    ).scalar_one_or_none()
    if comment is None:
        raise NotFound("No such comment.")
    return comment


async def moment_media_visible(tx: Tx, viewer: Principal, media_id: int) -> bool:
    """May `viewer` see a Moment that carries this media?"""
    found = await tx.session.scalar(
        select(MomentMedia.moment_id)
        .join(Moment, Moment.id == MomentMedia.moment_id)
        .where(MomentMedia.media_id == media_id, moment_visible(viewer.account_id, tx.now))
        .limit(1)
    )
    return found is not None


async def list_feed(tx: Tx, viewer: Principal, window: Window) -> Page[MomentRead]:
    """The Moments of my friends that I may see, and my own, newest first.

    Candidates (mine and those of everyone in my contacts) come from the index of Moments by
    author; the visibility rule, several lookups per Moment, is applied to a batch of them at
    a time in the page's order until the page is full: the page one query with both
    conditions would give, without applying the rule to every Moment of every friend."""
    me = viewer.account_id
    candidates = select(Moment.id).where(_in_feed(Moment.author_id, me))
    visible_among = _VISIBLE_AMONG[window.ascending]
    now = BOUND_NOW.values(tx.now)

    conn = await tx.connection()

    async def shown(ids: list[int]) -> Sequence[MomentFields]:
        rows = await conn.execute(visible_among, {"ids": ids, "viewer": me, **now})
        return cast(Sequence[MomentFields], rows.all())

    batch = candidate_batch(window.limit)

    async def page_of(after: int | None) -> Page[MomentFields]:
        if not window.ascending and window.since_id is None:  # most pages: one statement
            rows = await conn.execute(
                _FEED_FIRST_ROUND,
                {
                    "viewer": me,
                    "through": window.max_id - 1 if window.max_id else MAX_ID,
                    "after": after or 0,
                    "batch": batch,
                    "need": window.limit + 1,
                    **now,
                },
            )
            found = rows.all()
            if len(found) > window.limit or (found and found[0].candidates < batch):
                return Page.build(cast(list[MomentFields], found), window, lambda m: m.id)
        bounded = candidates if after is None else candidates.where(Moment.id > after)
        return await filtered_page(tx.session, bounded, Moment.id, window, shown, lambda m: m.id)

    page = await newest_span_first(window, FEED_SPANS, page_of)
    items = await render_moments(tx, me, list(page.items))
    return Page(items, page.next_max_id, page.prev_min_id)


async def list_account_moments(
    tx: Tx, viewer: Principal, account_id: int, window: Window
) -> Page[MomentRead]:
    """Someone's Moments that I may see (all of them, if they are mine)."""
    await access_account(tx, viewer, account_id)
    query = select(Moment).where(
        Moment.author_id == account_id, moment_visible(viewer.account_id, tx.now)
    )
    return await _page(tx, viewer, query, window)


async def get_moment(tx: Tx, viewer: Principal, moment_id: int) -> MomentRead:
    moment = await access_moment(tx, viewer, moment_id)
    [read] = await render_moments(tx, viewer.account_id, [moment])
    return read


async def get_comment(tx: Tx, viewer: Principal, moment_id: int, comment_id: int) -> CommentRead:
    moment = await access_moment(tx, viewer, moment_id)
    comment = await access_comment(tx, viewer, moment, comment_id)
    return (await render_comments(tx, [comment]))[0]


async def _page(
    tx: Tx, viewer: Principal, query: Select[Moment], window: Window
) -> Page[MomentRead]:
    rows = (await tx.session.execute(window_query(query, Moment.id, window))).scalars().all()
    page = Page.build(rows, window, lambda m: m.id)
    items = await render_moments(tx, viewer.account_id, list(page.items))
    return Page(items, page.next_max_id, page.prev_min_id)


async def viewers_of(
    tx: Tx,
    moment: Moment,
    *,
    actor: int | None = None,
    reply_to: int | None = None,
) -> set[int]:
    """Everyone who may see `moment` now (its author included) and, given an `actor`, that
    actor's like or comment (replying to `reply_to`). Whoever may see a Moment besides its
    author is in the author's contacts, so those are the candidates."""
    candidate = aliased(Contact)
    query = select(candidate.friend_id).where(
        candidate.owner_id == Moment.author_id,
        Moment.id == moment.id,
        moment_visible(candidate.friend_id, tx.now),
    )
    if actor is not None:
        query = query.where(interaction_visible(candidate.friend_id, actor, reply_to))
    found = set((await tx.session.execute(query)).scalars())
    author = moment.author_id
    if actor is None:
        return found | {author}
    shown_to_author = await tx.session.scalar(
        select(Moment.id).where(
            Moment.id == moment.id, interaction_visible(author, actor, reply_to)
        )
    )
    return found | {author} if shown_to_author is not None else found


# Rendering


def _commenters(comments: Sequence[CommentFields]) -> list[int]:
    return [c.author_id for c in comments] + [
        c.reply_to_account_id for c in comments if c.reply_to_account_id is not None
    ]


async def render_comments(
    tx: Tx, comments: Sequence[CommentFields], people: dict[int, AccountRow] | None = None
) -> list[CommentRead]:
    """Comments already filtered for the viewer (`people`: their accounts, if loaded)."""
    if people is None:
        people = await load_account_rows(tx, _commenters(comments))
    urls = tx.media_urls
    return [
        CommentRead.of(
            c,
            people[c.author_id],
            people.get(c.reply_to_account_id) if c.reply_to_account_id is not None else None,
            urls,
        )
        for c in comments
        if c.author_id in people
    ]


async def render_moments(
    tx: Tx, viewer_id: int, moments: Sequence[MomentFields]
) -> list[MomentRead]:
    """Moments (already known to be visible to the viewer) as the viewer sees them."""
    if not moments:
        return []
    ids = [m.id for m in moments]
    conn = await tx.connection()
    media: dict[int, list[Media]] = defaultdict(list)
    with_media = [m.id for m in moments if m.media_ids]  # most Moments have no images
    if with_media:
        for moment_id, item in await tx.session.execute(
            select(MomentMedia.moment_id, Media)
            .join(Media, Media.id == MomentMedia.media_id)
            .where(MomentMedia.moment_id.in_(with_media))
            .order_by(MomentMedia.moment_id, MomentMedia.position)
        ):
            media[moment_id].append(item)
    likes: dict[int, list[int]] = defaultdict(list)
    for moment_id, account_id in await conn.execute(
        _LIKES_SHOWN, {"ids": ids, "viewer": viewer_id}
    ):
        likes[moment_id].append(account_id)
    comments: dict[int, list[CommentFields]] = defaultdict(list)
    for comment in await conn.execute(_COMMENTS_SHOWN, {"ids": ids, "viewer": viewer_id}):
        comments[comment.moment_id].append(cast(CommentFields, comment))
    audiences = await _audiences(tx, [m for m in moments if m.author_id == viewer_id])
    every_comment = [c for cs in comments.values() for c in cs]
    people = await load_account_rows(
        tx,
        [m.author_id for m in moments]
        + [a for ids_ in likes.values() for a in ids_]
        + _commenters(every_comment),
    )
    rendered = {c.id: c for c in await render_comments(tx, every_comment, people)}
    urls = tx.media_urls
    out = []
    for m in moments:
        liked_by = [people[a] for a in likes[m.id] if a in people]
        shown = [rendered[c.id] for c in comments[m.id] if c.id in rendered]
        out.append(
            MomentRead(
                id=m.id,
                author=AccountPublic.of(people[m.author_id], urls),
                text=m.text,
                location=m.location,
                media=[
                    MediaRead.of(item, urls, Holder("moment", m.id, item.url_version))
                    for item in media[m.id]
                ],
                audience=audiences.get(m.id),
                created_at=m.created_at,
                liked=viewer_id in likes[m.id],
                likes=[AccountPublic.of(row, urls) for row in liked_by],
                likes_count=len(liked_by),
                comments=shown,
                comments_count=len(shown),
            )
        )
    return out


async def _audiences(tx: Tx, own: Sequence[MomentFields]) -> dict[int, AudienceRead]:
    """The audiences of the viewer's own Moments."""
    listed: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"account": [], "label": []})
    listed_ids = [m.id for m in own if m.audience in ("include", "exclude")]
    if listed_ids:
        for moment_id, kind, ref_id in await tx.session.execute(
            select(MomentAudience.moment_id, MomentAudience.kind, MomentAudience.ref_id).where(
                MomentAudience.moment_id.in_(listed_ids)
            )
        ):
            listed[moment_id][kind].append(ref_id)
    return {
        m.id: AudienceRead(
            kind=m.audience,
            account_ids=sorted(listed[m.id]["account"]),
            label_ids=sorted(listed[m.id]["label"]),
        )
        for m in own
    }
