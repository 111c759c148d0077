"""Who may see a Moment, and whose likes and comments on it: the SQL conditions that every
read of Moments (feed, a person's page, one Moment, media, counts) and every fan-out
(events, notifications) is built from, so that the rule is written once.

Each condition is an expression over the `moments` row of the enclosing query (correlated
EXISTS subqueries on primary keys), for a viewer that is either a known account id or a column
of that query (to ask "which of these accounts may see it" in one statement).

A Moment by A is visible to V when it is not deleted and either V is A, or:
- A's account is active, and the Moment lies within A's `moments_window`;
- A and V are *connected*: mutual friends (each has the other in their contacts) with no block
  either way;
- the audience lets V in: "friends" does; "private" does not; "include" does if V is listed or
  is in one of the listed labels *now*; "exclude" does unless so.

A like or comment by I on A's Moment, seen by someone V who may see the Moment, is shown when
- I is in good standing with the poster: I is A, or I is active and connected to A (removing
  a friend hides the interactions between the two, from everyone, the poster included); and
- V may see I's interactions: I is V, or I is A, or V is A, or I is connected to V.
A reply must pass this for its author *and* for the person it answers, so that a reply never
shows a viewer the name of someone whose comments they are not allowed to see.

Building these expressions costs more than running them, so the hot reads build their
statements once, with the viewer as a bound parameter and the time as BOUND_NOW, and pass the
values when executing (`BOUND_NOW.values(now)`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from quanzi.db.models import Account, Block, Contact, LabelMember, Moment, MomentAudience
from quanzi.db.models.base import UTCDateTime

# How far back someone's friends may see their Moments (accounts.moments_window).
WINDOWS = {"6m": timedelta(days=183), "3d": timedelta(days=3)}

# A viewer or actor: a known account id, or a column (or bound parameter) of the enclosing query.
Who = int | SQLColumnExpression[Any]


class BoundNow:
    """The current time as bound parameters (the start of each `moments_window`), for
    statements built once: execute them with `BOUND_NOW.values(now)` among the parameters."""

    @staticmethod
    def values(now: datetime) -> dict[str, datetime]:
        return {f"moments_window_{name}": now - span for name, span in WINDOWS.items()}


BOUND_NOW = BoundNow()
When = datetime | BoundNow


def _window_start(now: When, name: str) -> Any:
    if isinstance(now, BoundNow):
        return bindparam(f"moments_window_{name}", type_=UTCDateTime)
    return now - WINDOWS[name]


def _same(a: Who, b: Who) -> ColumnElement[bool]:
    if isinstance(a, int):
        if isinstance(b, int):
            return true() if a == b else false()
        a, b = b, a
    return a == b


def _has_contact(owner: Who, friend: Who) -> ColumnElement[bool]:
    c = aliased(Contact)
    return select(c.owner_id).where(_same(c.owner_id, owner), _same(c.friend_id, friend)).exists()


def _has_blocked(blocker: Who, blocked: Who) -> ColumnElement[bool]:
    b = aliased(Block)
    return (
        select(b.blocker_id)
        .where(_same(b.blocker_id, blocker), _same(b.blocked_id, blocked))
        .exists()
    )


def connected(a: Who, b: Who) -> ColumnElement[bool]:
    """Mutual friends, with no block between them in either direction."""
    return and_(
        _has_contact(a, b),
        _has_contact(b, a),
        ~_has_blocked(a, b),
        ~_has_blocked(b, a),
    )


def connected_people(viewer: int | BindParameter[int]) -> Select[int]:
    """Everyone connected to `viewer`: an uncorrelated subquery, which the database answers
    once per statement (a set of a few dozen ids) rather than once per row that asks."""
    c = aliased(Contact)
    return select(c.friend_id).where(
        c.owner_id == viewer,
        _has_contact(c.friend_id, viewer),
        ~_has_blocked(c.friend_id, viewer),
        ~_has_blocked(viewer, c.friend_id),
    )


def _connected_to(person: Who, viewer: Who) -> ColumnElement[bool]:
    """`connected(person, viewer)`, asked of the viewer's set of connected people when the
    viewer is one known account and the person a column (a row per Moment, like or comment)."""
    if isinstance(viewer, int | BindParameter) and not isinstance(person, int):
        return person.in_(connected_people(viewer))
    return connected(person, viewer)


def _active(account: Who) -> ColumnElement[bool]:
    a = aliased(Account)
    return select(a.id).where(_same(a.id, account), a.status == "active").exists()


def _author_shows(now: When) -> ColumnElement[bool]:
    """The author is active and the Moment lies within the author's window."""
    a = aliased(Account)
    within = or_(
        a.moments_window == "all",
        *(
            and_(a.moments_window == name, Moment.created_at >= _window_start(now, name))
            for name in WINDOWS
        ),
    )
    return select(a.id).where(a.id == Moment.author_id, a.status == "active", within).exists()


def _listed(viewer: Who) -> ColumnElement[bool]:
    """The viewer is named in the Moment's audience, or is in one of its labels today."""
    by_account = aliased(MomentAudience)
    by_label = aliased(MomentAudience)
    member = aliased(LabelMember)
    named = (
        select(by_account.ref_id)
        .where(
            by_account.moment_id == Moment.id,
            by_account.kind == "account",
            _same(by_account.ref_id, viewer),
        )
        .exists()
    )
    labelled = (
        select(member.friend_id)
        .join(by_label, by_label.ref_id == member.label_id)
        .where(
            by_label.moment_id == Moment.id,
            by_label.kind == "label",
            _same(member.friend_id, viewer),
        )
        .exists()
    )
    return or_(named, labelled)


def moment_visible(viewer: Who, now: When) -> ColumnElement[bool]:
    """May `viewer` see the Moment of the enclosing query (at time `now`)?"""
    listed = _listed(viewer)
    audience = or_(
        Moment.audience == "friends",
        and_(Moment.audience == "include", listed),
        and_(Moment.audience == "exclude", ~listed),
    )
    return and_(
        Moment.deleted_at.is_(None),
        or_(
            _same(Moment.author_id, viewer),
            and_(_author_shows(now), _connected_to(Moment.author_id, viewer), audience),
        ),
    )


def _party_shown(person: Who, viewer: Who) -> ColumnElement[bool]:
    """May `viewer` see the interactions of `person` on the Moment of the enclosing query?
    (`seen` first: it is the cheaper test and leaves most interactions out.)"""
    poster = Moment.author_id
    standing = or_(_same(person, poster), and_(_active(person), connected(person, poster)))
    seen = or_(
        _same(person, viewer),
        _same(person, poster),
        _same(viewer, poster),
        _connected_to(person, viewer),
    )
    return and_(seen, standing)


def interaction_visible(
    viewer: Who, actor: Who, reply_to: Who | None = None
) -> ColumnElement[bool]:
    """May `viewer` (who may see the Moment) see a like or comment by `actor` on it, replying
    to `reply_to` (an account, a nullable column, or None)?"""
    shown = _party_shown(actor, viewer)
    if reply_to is None:
        return shown
    if isinstance(reply_to, int):
        return and_(shown, _party_shown(reply_to, viewer))
    return and_(shown, or_(reply_to.is_(None), _party_shown(reply_to, viewer)))
