"""Writes on Moments: post, delete, like, comment, and erasing an account's part.

Every fan-out is computed in the writing transaction with the same rules as the reads
(rules.py): a new Moment is pushed to exactly those who may see it, a like or comment to those
who may see both the Moment and that interaction, and notifications go only to people who may
see what they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from quanzi.db.models import (
    Contact,
    Label,
    Media,
    Moment,
    MomentAudience,
    MomentComment,
    MomentLike,
    MomentMedia,
    Notification,
)
from quanzi.domain.accounts.queries import load_account_rows
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.checks import text_field
from quanzi.domain.events import (
    MOMENT_COMMENT_DELETED,
    MOMENT_COMMENTED,
    MOMENT_DELETED,
    MOMENT_LIKED,
    MOMENT_NEW,
    MOMENT_UNLIKED,
    MomentCommentRef,
    MomentRef,
    MomentUnlike,
)
from quanzi.domain.media.claims import claim_media
from quanzi.domain.moments.queries import (
    access_comment,
    access_moment,
    render_comments,
    render_moments,
    viewers_of,
)
from quanzi.domain.moments.shapes import (
    MOMENT_COMMENT,
    MOMENT_LIKE,
    MOMENT_REPLY,
    NOTIFICATION_KINDS,
    LikeEvent,
)
from quanzi.domain.notifications.actions import do_notify
from quanzi.domain.tx import Tx
from quanzi.errors import Forbidden, Invalid, NotFound
from quanzi.kit.ids import new_id

TEXT_MAX = 2000
LOCATION_MAX = 100
MEDIA_MAX = 9
COMMENT_MAX = 1000
AUDIENCE_KINDS = ("friends", "private", "include", "exclude")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a Moment is for: "friends", "private", or the friends and labels to "include" or
    to "exclude"."""

    kind: str = "friends"
    account_ids: list[int] = field(default_factory=list)
    label_ids: list[int] = field(default_factory=list)


def _invalid(field_name: str, message: str, code: str) -> Invalid:
    return Invalid(message, code=code, details={"field": field_name})


async def _check_audience(tx: Tx, author_id: int, audience: Audience) -> Audience:
    if audience.kind not in AUDIENCE_KINDS:
        raise _invalid("audience.kind", "Unknown audience.", "invalid_audience")
    accounts, labels = sorted(set(audience.account_ids)), sorted(set(audience.label_ids))
    if audience.kind in ("friends", "private"):
        if accounts or labels:
            raise _invalid(
                "audience",
                f'A "{audience.kind}" audience lists no one.',
                "invalid_audience",
            )
        return Audience(audience.kind)
    if not accounts and not labels:
        raise _invalid(
            "audience",
            f'An "{audience.kind}" audience lists friends or labels.',
            "empty_audience",
        )
    if accounts:
        known = set(
            (
                await tx.session.execute(
                    select(Contact.friend_id).where(
                        Contact.owner_id == author_id, Contact.friend_id.in_(accounts)
                    )
                )
            ).scalars()
        )
        if known != set(accounts):
            raise _invalid(
                "audience.account_ids",
                "An audience lists people in your contacts.",
                "not_a_contact",
            )
    if labels:
        own = set(
            (
                await tx.session.execute(
                    select(Label.id).where(Label.owner_id == author_id, Label.id.in_(labels))
                )
            ).scalars()
        )
        if own != set(labels):
            raise NotFound("No such label.")
    return Audience(audience.kind, accounts, labels)


async def _attach_media(tx: Tx, author_id: int, media_ids: list[int]) -> list[Media]:
    if len(media_ids) > MEDIA_MAX:
        raise _invalid("media_ids", f"A Moment has at most {MEDIA_MAX} images.", "too_many_media")
    if len(set(media_ids)) != len(media_ids):
        raise _invalid("media_ids", "An image is listed twice.", "duplicate_media")
    return await claim_media(tx, author_id, media_ids, "moment", field="media_ids")


async def do_post_moment(
    tx: Tx,
    viewer: Principal,
    *,
    text: str,
    media_ids: list[int],
    location: str,
    audience: Audience,
) -> Moment:
    """Post a Moment and push it, after commit, to the devices of everyone who may see it."""
    me = viewer.account_id
    text = text_field(
        text, field="text", what="A Moment", code="invalid_text", max_len=TEXT_MAX, lines=True
    )
    location = text_field(
        location,
        field="location",
        what="A location",
        code="invalid_location",
        max_len=LOCATION_MAX,
    )
    if not text and not media_ids:
        raise _invalid("text", "A Moment has text or images.", "empty_moment")
    audience = await _check_audience(tx, me, audience)
    media = await _attach_media(tx, me, media_ids)
    moment = Moment(
        id=new_id(),
        author_id=me,
        text=text,
        location=location,
        audience=audience.kind,
        media_ids=orjson.dumps([str(i) for i in media_ids]).decode() if media_ids else "",
        created_at=tx.now,
        deleted_at=None,
    )
    tx.session.add(moment)
    await tx.session.flush()
    for position, item in enumerate(media):
        tx.session.add(MomentMedia(moment_id=moment.id, media_id=item.id, position=position))
    for account_id in audience.account_ids:
        tx.session.add(MomentAudience(moment_id=moment.id, kind="account", ref_id=account_id))
    for label_id in audience.label_ids:
        tx.session.add(MomentAudience(moment_id=moment.id, kind="label", ref_id=label_id))
    await tx.session.flush()

    [own] = await render_moments(tx, me, [moment])
    tx.emit(MOMENT_NEW(own, users=[me]))
    others = sorted((await viewers_of(tx, moment)) - {me})
    if others:
        seen = own.model_copy(update={"audience": None})
        tx.emit(MOMENT_NEW(seen, users=others))
    return moment


async def do_delete_moment(tx: Tx, viewer: Principal, moment_id: int) -> None:
    """Delete my Moment: it disappears everywhere (with its likes, comments and the
    notifications about them) and its images are mine alone again."""
    moment = await access_moment(tx, viewer, moment_id)
    if moment.author_id != viewer.account_id:
        raise Forbidden("Only its author may delete a Moment.")
    audience = await viewers_of(tx, moment)
    comment_ids = list(
        (
            await tx.session.execute(
                select(MomentComment.id).where(MomentComment.moment_id == moment.id)
            )
        ).scalars()
    )
    replied = {
        account_id
        for account_id in (
            await tx.session.execute(
                select(MomentComment.reply_to_account_id).where(
                    MomentComment.moment_id == moment.id
                )
            )
        ).scalars()
        if account_id is not None
    }
    await _forget_notifications(tx, {moment.author_id, *replied}, [moment.id, *comment_ids])
    media = select(MomentMedia.media_id).where(MomentMedia.moment_id == moment.id)
    await tx.session.execute(
        update(Media)
        .where(Media.id.in_(media), Media.attached_to == "moment")
        .values(attached_to=None)
    )
    for table in (MomentMedia, MomentAudience, MomentLike, MomentComment):
        await tx.session.execute(delete(table).where(table.moment_id == moment.id))
    moment.text = moment.location = moment.media_ids = ""
    moment.deleted_at = tx.now
    await tx.session.flush()
    tx.emit(MOMENT_DELETED(MomentRef(moment_id=moment.id), users=sorted(audience)))


async def _forget_notifications(tx: Tx, account_ids: set[int], subject_ids: list[int]) -> None:
    if not subject_ids:
        return
    await tx.session.execute(
        delete(Notification).where(
            Notification.account_id.in_(sorted(account_ids)),
            Notification.kind.in_(NOTIFICATION_KINDS),
            Notification.subject_id.in_(subject_ids),
        )
    )


# Likes


async def do_like(tx: Tx, viewer: Principal, moment_id: int) -> Moment:
    """Like a Moment I may see (liking twice changes nothing). The poster is notified."""
    me = viewer.account_id
    moment = await access_moment(tx, viewer, moment_id)
    exists = await tx.session.scalar(
        select(MomentLike.account_id).where(
            MomentLike.moment_id == moment.id, MomentLike.account_id == me
        )
    )
    if exists is not None:
        return moment
    try:
        async with tx.session.begin_nested():
            tx.session.add(MomentLike(moment_id=moment.id, account_id=me, created_at=tx.now))
    except IntegrityError:  # the same like, from another device at the same moment
        return moment
    if moment.author_id != me:
        await _notify_like(tx, moment, me)
    rows = await load_account_rows(tx, [me])
    payload = LikeEvent(moment_id=moment.id, account=AccountPublic.of(rows[me], tx.media_urls))
    audience = await viewers_of(tx, moment, actor=me)
    tx.emit(MOMENT_LIKED(payload, users=sorted(audience | {me})))
    return moment


async def _notify_like(tx: Tx, moment: Moment, liker: int) -> None:
    """Tell the poster: one notification per Moment, refreshed by the latest like."""
    await do_notify(
        tx,
        moment.author_id,
        MOMENT_LIKE,
        subject_id=moment.id,
        actor_id=liker,
        data={"moment_id": str(moment.id)},
    )


async def do_unlike(tx: Tx, viewer: Principal, moment_id: int) -> Moment:
    me = viewer.account_id
    moment = await access_moment(tx, viewer, moment_id)
    audience = await viewers_of(tx, moment, actor=me)
    gone = (
        await tx.session.execute(
            delete(MomentLike)
            .where(MomentLike.moment_id == moment.id, MomentLike.account_id == me)
            .returning(MomentLike.account_id)
        )
    ).first()
    if gone is None:
        return moment
    await tx.session.execute(
        delete(Notification).where(
            Notification.account_id == moment.author_id,
            Notification.kind == MOMENT_LIKE,
            Notification.subject_id == moment.id,
            Notification.actor_id == me,
        )
    )
    unliked = MomentUnlike(moment_id=moment.id, account_id=me)
    tx.emit(MOMENT_UNLIKED(unliked, users=sorted(audience | {me})))
    return moment


# Comments


async def do_comment(
    tx: Tx, viewer: Principal, moment_id: int, *, text: str, reply_to_id: int | None = None
) -> MomentComment:
    """Comment on a Moment I may see, or reply to a comment on it that I may see.

    Notified: the poster ("moment_comment", or "moment_reply" when the reply answers them),
    and the person replied to ("moment_reply") if they may see the reply: they still may see
    the Moment, and the replier is themselves, the poster, or connected to them.
    """
    me = viewer.account_id
    moment = await access_moment(tx, viewer, moment_id)
    text = text_field(
        text,
        field="text",
        what="A comment",
        code="invalid_comment",
        min_len=1,
        max_len=COMMENT_MAX,
        lines=True,
    )
    parent = None
    if reply_to_id is not None:
        parent = await access_comment(tx, viewer, moment, reply_to_id)
    comment = MomentComment(
        id=new_id(),
        moment_id=moment.id,
        author_id=me,
        reply_to_id=parent.id if parent else None,
        reply_to_account_id=parent.author_id if parent else None,
        text=text,
        created_at=tx.now,
        deleted_at=None,
    )
    tx.session.add(comment)
    await tx.session.flush()

    audience = await viewers_of(tx, moment, actor=me, reply_to=comment.reply_to_account_id)
    data = {
        "moment_id": str(moment.id),
        "comment_id": str(comment.id),
        "reply_to_id": str(parent.id) if parent else None,
    }
    poster = moment.author_id
    replied = parent.author_id if parent else None
    if poster != me and poster in audience:
        kind = MOMENT_REPLY if replied == poster else MOMENT_COMMENT
        await do_notify(tx, poster, kind, subject_id=comment.id, actor_id=me, data=data)
    if replied is not None and replied not in (me, poster) and replied in audience:
        await do_notify(tx, replied, MOMENT_REPLY, subject_id=comment.id, actor_id=me, data=data)
    [read] = await render_comments(tx, [comment])
    tx.emit(MOMENT_COMMENTED(read, users=sorted(audience | {me})))
    return comment


async def do_delete_comment(tx: Tx, viewer: Principal, moment_id: int, comment_id: int) -> None:
    """Delete my comment, or any comment on my Moment."""
    me = viewer.account_id
    found = (
        await tx.session.execute(
            select(MomentComment, Moment)
            .join(Moment, Moment.id == MomentComment.moment_id)
            .where(
                MomentComment.id == comment_id,
                MomentComment.moment_id == moment_id,
                MomentComment.deleted_at.is_(None),
                Moment.deleted_at.is_(None),
                or_(MomentComment.author_id == me, Moment.author_id == me),
            )
        )
    ).first()
    if found is None:
        raise NotFound("No such comment.")
    comment, moment = found
    audience = await viewers_of(
        tx, moment, actor=comment.author_id, reply_to=comment.reply_to_account_id
    )
    recipients = {moment.author_id}
    if comment.reply_to_account_id is not None:
        recipients.add(comment.reply_to_account_id)
    await _forget_notifications(tx, recipients, [comment.id])
    comment.text = ""
    comment.deleted_at = tx.now
    await tx.session.flush()
    gone = MomentCommentRef(moment_id=moment.id, comment_id=comment.id)
    tx.emit(MOMENT_COMMENT_DELETED(gone, users=sorted(audience | {me, comment.author_id})))


async def renew_photo_urls(tx: Tx, author_id: int) -> None:
    """New URLs for the photos of every Moment by `author_id`; those handed out before stop
    working (domain/media/urls.py). For each action by which an author narrows who may see
    their Moments: removing a friend, blocking, changing who is in a label (a friend's labels
    or a label's members), deleting a label, changing the window. The rest are rare, and
    relabelling is cheap: one statement over the author's own photos."""
    await tx.session.execute(
        update(Media)
        .where(Media.owner_id == author_id, Media.attached_to == "moment")
        .values(url_version=Media.url_version + 1)
        .execution_options(synchronize_session=False)
    )


async def do_erase_moments(tx: Tx, account_id: int) -> None:
    """Part of erasing an account: its Moments, likes and comments go. Replies to its comments
    stay, as plain comments; audiences no longer name it."""
    own = select(Moment.id).where(Moment.author_id == account_id).scalar_subquery()
    for table in (MomentMedia, MomentAudience, MomentLike, MomentComment):
        await tx.session.execute(delete(table).where(table.moment_id.in_(own)))
    await tx.session.execute(delete(Moment).where(Moment.author_id == account_id))
    await tx.session.execute(delete(MomentLike).where(MomentLike.account_id == account_id))
    await tx.session.execute(delete(MomentComment).where(MomentComment.author_id == account_id))
    await tx.session.execute(
        update(MomentComment)
        .where(MomentComment.reply_to_account_id == account_id)
        .values(reply_to_id=None, reply_to_account_id=None)
    )
    await tx.session.execute(
        delete(MomentAudience).where(
            MomentAudience.kind == "account", MomentAudience.ref_id == account_id
        )
    )
