"""Moments against a model of who may see what: a Hypothesis state machine.

Four people befriend (a request, then its acceptance), remove (one-sided), block and unblock
each other, label their contacts, post Moments (with or without an image) to an audience:
friends, private, or including or excluding some contacts and labels; like and unlike,
comment, reply, and delete Moments and comments. `Model` restates the rules of
src/quanzi/domain/moments/rules.py over plain sets (contacts as directed pairs, blocks, labels
with members, Moments with their audience, likes, comments with the person each reply
answers), and what the API says is compared with it:

- after every step: the live events about Moments and the Moment notifications pushed (their
  types and recipients, as a multiset);
- after every step that wrote something: the feed (which Moments, newest first, and on each
  the likes, comments, replies, counts and `liked` the person sees; the audience for the
  author only) and the notifications about Moments of everyone for whom the model says they
  changed, and of one more person in turn, so that what should not change (something shown
  that should not be) is seen within four such steps;
- in the `every_read_path_matches_the_model` step (drawn like the others whenever something
  changed since it last ran): for one person, each author's page (404 if the author blocked
  them) and each Moment alone (200 with the same content, or 404; deleted ones too); for
  everyone, each Moment's image (200 for its author and those who see the Moment, else 404);
- the answers to posting, liking and commenting, rendered for the one who did it.

Some steps pick their people from the state (the next one who sees the Moment, the last one
to comment on it, its author) so that the cases that matter come often; others pick anyone.
Refused actions are steps too: liking, unliking or commenting on a Moment one may not see,
replying to a comment one may not see (404, and the Moment looks the same to its author);
deleting someone else's Moment (403 if one sees it, else 404) or comment (404); an audience
naming someone outside one's contacts (422), someone else's or a deleted label (404), anyone
at all for friends or private, or no one for include or exclude (422).

Not modelled: accounts that are not active, and `moments_window` (every Moment here is new).

Hypothesis is synchronous, so it runs in a worker thread, and each step submits its requests
to the test's event loop, which keeps serving the app. Each example registers a new cast
(handles carry the example's number) in the test's database. The run is derandomized: a
failure repeats when the test runs again, and Hypothesis prints the steps that led to it.
Shrinking them re-runs many examples (minutes), so it is off unless QUANZI_MODEL_SHRINK=1;
QUANZI_MODEL_EXAMPLES=200 explores further than the 24 examples of 30 steps of a normal run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from quanzi.realtime.events import Event
from tests.helpers import Personas, User, encode, picture

T = TypeVar("T")

CAST = ("ann", "bob", "cat", "dan")
PAIRS = [(a, b) for a in CAST for b in CAST if a != b]
FRIENDSHIPS = [(a, b) for a, b in PAIRS if a < b]
KINDS = ("friends", "private", "include", "exclude")
NOTIFICATION_KINDS = ("moment_like", "moment_comment", "moment_reply")
EXAMPLES = int(os.environ.get("QUANZI_MODEL_EXAMPLES", "24"))
STEPS = 30
SHRINK = os.environ.get("QUANZI_MODEL_SHRINK") == "1"
MOMENTS = 4  # at most this many Moments not deleted, and labels, at a time
LABELS = 4

SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking a failure re-runs many examples of many requests (minutes): on request only.
    phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else []),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

people = st.sampled_from(CAST)
pairs = st.sampled_from(PAIRS)
some_people = st.lists(people, unique=True, max_size=3)
picks = st.lists(st.integers(min_value=0, max_value=7), unique=True, min_size=1, max_size=2)


# The model


@dataclass(eq=False)
class Label:
    key: str
    id: str
    owner: str
    members: set[str] = field(default_factory=set)
    alive: bool = True


@dataclass(eq=False)
class Comment:
    key: str
    id: str
    moment: Moment
    author: str
    text: str
    reply_to: Comment | None  # the comment it answers
    deleted: bool = False

    @property
    def answers(self) -> str | None:
        """The person this reply answers."""
        return self.reply_to.author if self.reply_to is not None else None


@dataclass(eq=False)
class Moment:
    key: str
    id: str
    author: str
    text: str
    kind: str
    accounts: frozenset[str]
    labels: tuple[Label, ...]
    media: str | None
    deleted: bool = False
    likes: dict[str, int] = field(default_factory=dict)  # who -> when (a sequence number)
    comments: list[Comment] = field(default_factory=list)


class Model:
    """Who may see what, restated from rules.py over plain sets."""

    def __init__(self) -> None:
        self.contacts: set[tuple[str, str]] = set()  # (owner, friend): owner has friend
        self.blocks: set[tuple[str, str]] = set()  # (blocker, blocked)
        self.labels: list[Label] = []
        self.moments: list[Moment] = []  # oldest first
        # (recipient, kind, subject key) -> actor; one per subject, as the upsert keeps it
        self.notifications: dict[tuple[str, str, str], str] = {}
        self.clock = itertools.count()

    def connected(self, a: str, b: str) -> bool:
        """Mutual friends with no block either way."""
        return (
            (a, b) in self.contacts
            and (b, a) in self.contacts
            and (a, b) not in self.blocks
            and (b, a) not in self.blocks
        )

    def listed(self, m: Moment, viewer: str) -> bool:
        return viewer in m.accounts or any(viewer in label.members for label in m.labels)

    def sees(self, m: Moment, viewer: str) -> bool:
        if m.deleted:
            return False
        if viewer == m.author:
            return True
        admitted = {
            "friends": True,
            "private": False,
            "include": self.listed(m, viewer),
            "exclude": not self.listed(m, viewer),
        }[m.kind]
        return self.connected(m.author, viewer) and admitted

    def shown(self, m: Moment, person: str, viewer: str) -> bool:
        """May `viewer` see `person`'s likes and comments on `m`?"""
        poster = m.author
        standing = person == poster or self.connected(person, poster)
        seen = person in (viewer, poster) or viewer == poster or self.connected(person, viewer)
        return standing and seen

    def sees_interaction(
        self, m: Moment, viewer: str, actor: str, answers: str | None = None
    ) -> bool:
        shown = self.shown(m, actor, viewer)
        return shown and (answers is None or self.shown(m, answers, viewer))

    def viewers(self, m: Moment, actor: str | None = None, answers: str | None = None) -> set[str]:
        """Who may see `m` (and, given an actor, that actor's like or comment on it)."""
        return {
            v
            for v in CAST
            if self.sees(m, v) and (actor is None or self.sees_interaction(m, v, actor, answers))
        }

    def view(self, m: Moment, viewer: str) -> dict[str, Any]:
        """`m` as `viewer` (who may see it) should get it (see `MomentsMachine.project`)."""
        likes = [
            who
            for who, _ in sorted(m.likes.items(), key=lambda kv: kv[1])
            if self.sees_interaction(m, viewer, who)
        ]
        comments = [
            (c.key, c.author, c.text, c.reply_to.key if c.reply_to else None, c.answers)
            for c in m.comments
            if not c.deleted and self.sees_interaction(m, viewer, c.author, c.answers)
        ]
        audience = None
        if viewer == m.author:
            audience = (m.kind, sorted(m.accounts), sorted(label.key for label in m.labels))
        return {
            "moment": m.key,
            "author": m.author,
            "text": m.text,
            "media": [m.media] if m.media else [],
            "audience": audience,
            "liked": viewer in likes,
            "likes": likes,
            "likes_count": len(likes),
            "comments": comments,
            "comments_count": len(comments),
        }

    def feed(self, viewer: str) -> list[dict[str, Any]]:
        return [self.view(m, viewer) for m in reversed(self.moments) if self.sees(m, viewer)]

    def page(self, viewer: str, author: str) -> list[dict[str, Any]]:
        return [
            self.view(m, viewer)
            for m in reversed(self.moments)
            if m.author == author and self.sees(m, viewer)
        ]

    def notified(self, recipient: str) -> Counter[tuple[str, str, str]]:
        return Counter(
            (kind, actor, subject)
            for (to, kind, subject), actor in self.notifications.items()
            if to == recipient
        )

    def forget(self, recipients: set[str], subjects: set[str]) -> None:
        for key in [k for k in self.notifications if k[0] in recipients and k[2] in subjects]:
            del self.notifications[key]


# Talking to the app from Hypothesis's thread


class Env:
    """The app, as seen from the worker thread: requests run on the test's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        self.loop = loop
        self.client = client
        self.people = Personas(client)
        self.events: list[Event] = []
        self.examples = itertools.count()
        self.image = encode(picture(), "PNG")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def call(self, user: User, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, path, headers=user.auth, **kwargs))


class MomentsMachine(RuleBasedStateMachine):
    """The cast acting through the API, the model following; rules check their answers and
    the invariant checks what everyone sees."""

    moments = Bundle("moments")

    def __init__(self, env: Env) -> None:
        super().__init__()
        self.env = env
        self.model = Model()
        example = next(env.examples)
        self.users = {name: env.run(env.people.register(f"x{example}_{name}")) for name in CAST}
        self.names = {user.id: name for name, user in self.users.items()}
        self.keys: dict[str, str] = {}  # server id of a Moment, comment or label -> model key
        self.counter = itertools.count()
        self.expected_events: list[tuple[str, frozenset[str]]] = []
        self.dirty = True  # something was written since the feeds were last compared
        self.stale = True  # ... since every read path was last compared
        # each person's feed and notifications as last compared
        self.compared: dict[str, tuple[list[dict[str, Any]], Counter[tuple[str, str, str]]]] = {}
        self.turn = 0
        env.events.clear()

    # helpers

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = self.env.call(self.users[who], method, f"/api/quanzi/v1{path}", **kwargs)
        if method != "GET" and r.is_success:
            self.dirty = self.stale = True
        return r

    def name(self, account_id: str) -> str:
        """Who an account is in the cast (its id if it is none of them)."""
        return self.names.get(account_id, account_id)

    def known(self, server_id: str) -> str:
        """The model's key of a Moment, comment or label (its id if the model has none)."""
        return self.keys.get(server_id, server_id)

    def key(self, prefix: str, server_id: str) -> str:
        key = f"{prefix}{next(self.counter)}"
        self.keys[server_id] = key
        return key

    def expect_event(self, kind: str, users: set[str]) -> None:
        self.expected_events.append((kind, frozenset(users)))

    def notify(self, recipient: str, kind: str, subject: str, actor: str) -> None:
        self.model.notifications[(recipient, kind, subject)] = actor
        self.expect_event(f"notification.new:{kind}", {recipient})

    def project(self, item: dict[str, Any]) -> dict[str, Any]:
        """A Moment from the API in the model's terms (names and keys instead of ids)."""
        audience = item["audience"]
        if audience is not None:
            audience = (
                audience["kind"],
                sorted(self.name(i) for i in audience["account_ids"]),
                sorted(self.known(i) for i in audience["label_ids"]),
            )
        comments = [
            (
                self.known(c["id"]),
                self.name(c["author"]["id"]),
                c["text"],
                self.known(c["reply_to_id"]) if c["reply_to_id"] else None,
                self.name(c["reply_to"]["id"]) if c["reply_to"] else None,
            )
            for c in item["comments"]
        ]
        return {
            "moment": self.known(item["id"]),
            "author": self.name(item["author"]["id"]),
            "text": item["text"],
            "media": [x["id"] for x in item["media"]],
            "audience": audience,
            "liked": item["liked"],
            "likes": [self.name(a["id"]) for a in item["likes"]],
            "likes_count": item["likes_count"],
            "comments": comments,
            "comments_count": item["comments_count"],
        }

    def page_of(self, r: httpx.Response) -> list[dict[str, Any]]:
        assert r.status_code == 200, r.text
        return [self.project(item) for item in r.json()["items"]]

    def notified(self, r: httpx.Response) -> Counter[tuple[str, str, str]]:
        """Notifications about Moments from the API in the model's terms: (kind, actor, subject)."""
        assert r.status_code == 200, r.text
        return Counter(
            (n["kind"], self.name(n["actor_id"]), self.known(n["subject_id"]))
            for n in r.json()["items"]
            if n["kind"] in NOTIFICATION_KINDS
        )

    def refused(self, r: httpx.Response, status: int, code: str | None = None) -> None:
        assert r.status_code == status, r.text
        if code is not None:
            assert r.json()["error"]["code"] == code, r.text

    # The first step

    @initialize(
        target=moments,
        friendships=st.sets(st.sampled_from(FRIENDSHIPS), min_size=3, max_size=5),
        labels=st.lists(st.tuples(people, some_people), max_size=LABELS),
        posts=st.lists(
            st.tuples(people, st.sampled_from(KINDS), some_people, picks), min_size=1, max_size=3
        ),
        remarks=st.lists(st.tuples(people, st.integers(min_value=0, max_value=2)), max_size=3),
    )
    def begin(
        self,
        friendships: set[tuple[str, str]],
        labels: list[tuple[str, list[str]]],
        posts: list[tuple[str, str, list[str], list[int]]],
        remarks: list[tuple[str, int]],
    ) -> Any:
        """Some friendships (never all: someone's friends are not all each other's), labels,
        Moments, and comments on them by people who see them."""
        for pair in sorted(friendships):
            self.befriend(*pair)
        for owner, members in labels:
            self.create_label(owner, members)
        made = [self.post(*post, image=False, unchecked=False) for post in posts]
        assert all(isinstance(m, Moment) for m in made)
        for who, i in remarks:
            moment = made[i % len(made)]
            self.comment(self.someone_who_sees(who, moment), moment, None)
        return multiple(*made)

    # Contacts and labels

    @rule(pair=pairs, block=st.booleans())
    def change_contacts(self, pair: tuple[str, str], block: bool) -> None:
        """a blocks or unblocks b (contacts and labels stay); or a removes b if b is in a's
        contacts (b keeps a), else asks b to be friends."""
        a, b = pair
        if block:
            self.block(a, b)
        elif pair in self.model.contacts:
            self.remove(a, b)
        else:
            self.befriend(a, b)

    @rule(who=people, moment=moments, block=st.booleans(), by_them=st.booleans())
    def fall_out_or_make_up(self, who: str, moment: Moment, block: bool, by_them: bool) -> None:
        """As `change_contacts`, between `who` and the last other one to comment on `moment`
        (or else to like it; else its author): what they did there is what may show or hide.
        `who` acts, or (`by_them`) the other one does."""
        shown = [c.author for c in moment.comments if not c.deleted]
        liked = sorted(moment.likes, key=moment.likes.__getitem__)
        other = next(
            (p for p in reversed([moment.author, *liked, *shown]) if p != who),
            CAST[(CAST.index(who) + 1) % len(CAST)],
        )
        self.change_contacts((other, who) if by_them else (who, other), block)

    def befriend(self, a: str, b: str) -> None:
        model = self.model
        r = self.api(a, "POST", "/friend-requests", json={"account_id": self.users[b].id})
        if (b, a) in model.blocks:
            return self.refused(r, 404)  # to the blocked, a blocker looks like nobody
        if (a, b) in model.blocks:
            return self.refused(r, 409, "blocking")
        if (a, b) in model.contacts and (b, a) in model.contacts:
            return self.refused(r, 409, "already_friends")
        assert r.status_code == 201, r.text
        # at once when b still has a (a had removed b); otherwise b accepts
        assert r.json()["friends"] == ((b, a) in model.contacts), r.text
        if not r.json()["friends"]:
            request_id = r.json()["request"]["id"]
            accepted = self.api(b, "POST", f"/friend-requests/{request_id}/accept", json={})
            assert accepted.status_code == 200, accepted.text
        model.contacts |= {(a, b), (b, a)}

    def remove(self, a: str, b: str) -> None:
        r = self.api(a, "DELETE", f"/friends/{self.users[b].id}")
        assert r.status_code == 204, r.text
        self.model.contacts.discard((a, b))
        for label in self.model.labels:
            if label.owner == a:
                label.members.discard(b)

    def block(self, a: str, b: str) -> None:
        """a blocks b, or unblocks b."""
        if (a, b) in self.model.blocks:
            r = self.api(a, "DELETE", f"/blocks/{self.users[b].id}")
            assert r.status_code == 204, r.text
            self.model.blocks.discard((a, b))
        else:
            r = self.api(a, "PUT", f"/blocks/{self.users[b].id}")
            if (b, a) in self.model.blocks:
                return self.refused(r, 404)  # to the blocked, a blocker looks like nobody
            assert r.status_code == 204, r.text
            self.model.blocks.add((a, b))

    def create_label(self, owner: str, members: list[str]) -> None:
        """A label for those among `members` who are the owner's contacts."""
        members = [m for m in members if (owner, m) in self.model.contacts]
        ids = [self.users[m].id for m in members]
        name = f"L{next(self.counter)}"
        r = self.api(owner, "POST", "/labels", json={"name": name, "member_ids": ids})
        assert r.status_code == 201, r.text
        label = Label(self.key("L", r.json()["id"]), r.json()["id"], owner, set(members))
        self.model.labels.append(label)

    @rule(
        owner=people,
        pick=st.none() | st.integers(min_value=0, max_value=7),
        members=st.none() | some_people,
    )
    def change_labels(self, owner: str, pick: int | None, members: list[str] | None) -> None:
        """`owner` makes a label (pick=None, or no label yet); or the owner of label number
        `pick` (deleted ones too) sets its members (refused unless they are the owner's
        contacts) or deletes it (members=None)."""
        labels = self.model.labels
        if pick is None or not labels:
            if sum(label.alive for label in labels) < LABELS:
                self.create_label(owner, members or [])
            return None
        label = labels[pick % len(labels)]
        if members is None:
            r = self.api(label.owner, "DELETE", f"/labels/{label.id}")
            if not label.alive:
                return self.refused(r, 404)
            assert r.status_code == 204, r.text
            label.alive = False
            label.members = set()
            return None
        return self.set_members(label, members)

    @rule(moment=moments, who=people, commenter=st.booleans())
    def relabel_audience(self, moment: Moment, who: str, commenter: bool) -> None:
        """The author of `moment` puts `who` (or, if `commenter`, the last other one to comment
        on it) into, or takes them out of, the first label its audience names that is still
        there (refused unless they are a contact): that changes who sees it."""
        label = next((label for label in moment.labels if label.alive), None)
        if commenter:
            who = next(
                (c.author for c in reversed(moment.comments) if c.author != moment.author), who
            )
        if label is not None:
            self.set_members(label, sorted(label.members ^ {who}))

    def set_members(self, label: Label, members: list[str]) -> None:
        ids = [self.users[m].id for m in members]
        r = self.api(label.owner, "PATCH", f"/labels/{label.id}", json={"member_ids": ids})
        if not label.alive:
            return self.refused(r, 404)
        if any((label.owner, m) not in self.model.contacts for m in members):
            return self.refused(r, 422, "not_a_contact")
        assert r.status_code == 200, r.text
        label.members = set(members)

    # Moments

    def live_moments(self) -> int:
        return sum(not m.deleted for m in self.model.moments)

    def _post(
        self, author: str, kind: str, accounts: list[str], labels: list[Label], image: bool
    ) -> Any:
        model = self.model
        audience = {
            "kind": kind,
            "account_ids": [self.users[a].id for a in accounts],
            "label_ids": [label.id for label in labels],
        }
        media = None
        if image:
            up = self.env.call(
                self.users[author],
                "POST",
                "/api/quanzi/v1/media",
                files={"file": ("p.png", self.env.image, "image/png")},
            )
            assert up.status_code == 201, up.text
            media = up.json()["id"]
        text = f"moment {next(self.counter)}"
        body = {"text": text, "audience": audience, "media_ids": [media] if media else []}
        r = self.api(author, "POST", "/moments", json=body)
        listing = bool(accounts or labels)
        if kind in ("friends", "private") and listing:
            self.refused(r, 422, "invalid_audience")
            return multiple()
        if kind in ("include", "exclude") and not listing:
            self.refused(r, 422, "empty_audience")
            return multiple()
        if any((author, a) not in model.contacts for a in accounts):
            self.refused(r, 422, "not_a_contact")
            return multiple()
        if any(label.owner != author or not label.alive for label in labels):
            self.refused(r, 404)
            return multiple()
        assert r.status_code == 201, r.text
        moment = Moment(
            self.key("m", r.json()["id"]),
            r.json()["id"],
            author,
            text,
            kind,
            frozenset(accounts),
            tuple(labels),
            media,
        )
        model.moments.append(moment)
        assert self.project(r.json()) == model.view(moment, author)
        others = model.viewers(moment) - {author}
        self.expect_event("moment.new", {author})
        if others:
            self.expect_event("moment.new", others)
        return moment

    @precondition(lambda self: self.live_moments() < MOMENTS)
    @rule(
        target=moments,
        author=people,
        kind=st.sampled_from(KINDS),
        accounts=some_people,
        label_picks=picks,
        image=st.booleans(),
        unchecked=st.booleans(),
    )
    def post(
        self,
        author: str,
        kind: str,
        accounts: list[str],
        label_picks: list[int],
        image: bool,
        unchecked: bool,
    ) -> Any:
        """A Moment for `kind` of audience. Its list names the author's contacts among
        `accounts` and the author's labels (an include or exclude audience left with no one is
        for all friends, a friends or private one lists no one); or, if `unchecked`, all of
        `accounts` and anyone's labels (deleted ones too), which is refused unless valid."""
        model = self.model
        if unchecked:
            every = model.labels
            labels = list({every[i % len(every)]: None for i in label_picks}) if every else []
            return self._post(author, kind, accounts, labels, image)
        own = [label for label in model.labels if label.owner == author and label.alive]
        labels = list({own[i % len(own)]: None for i in label_picks}) if own else []
        contacts = [a for a in accounts if (author, a) in model.contacts]
        if kind in ("friends", "private"):
            contacts, labels = [], []
        elif not contacts and not labels:
            kind = "friends"
        return self._post(author, kind, contacts, labels, image)

    @rule(who=people, fitting=st.booleans(), moment=moments)
    def delete_moment(self, who: str, fitting: bool, moment: Moment) -> None:
        """`who` (or, if `fitting`, its author) deletes the Moment."""
        model = self.model
        if fitting:
            who = moment.author
        r = self.api(who, "DELETE", f"/moments/{moment.id}")
        if not model.sees(moment, who):
            return self.refused(r, 404)
        if who != moment.author:
            return self.refused(r, 403)
        assert r.status_code == 204, r.text
        self.expect_event("moment.deleted", model.viewers(moment))
        recipients = {moment.author} | {c.answers for c in moment.comments if c.answers}
        model.forget(recipients, {moment.key} | {c.key for c in moment.comments})
        moment.deleted = True

    def refused_on(self, r: httpx.Response, moment: Moment) -> None:
        """A refused like or comment answers 404 and leaves the Moment as its author sees it."""
        self.refused(r, 404)
        if not moment.deleted:
            seen = self.api(moment.author, "GET", f"/moments/{moment.id}")
            assert seen.status_code == 200, seen.text
            assert self.project(seen.json()) == self.model.view(moment, moment.author)

    def someone_who_sees(
        self, who: str, moment: Moment, parent: Comment | None = None, *, comment: bool = True
    ) -> str:
        """`who`, or the next in the cast after them who sees `moment` and who sees (or, if
        not `comment`, does not see) `parent`, its author last; `who` if nobody does."""
        start = CAST.index(who)
        order = CAST[start:] + CAST[:start]
        if parent is not None:
            order = (*(n for n in order if n != parent.author), parent.author)
        for name in order:
            if self.model.sees(moment, name) and (
                parent is None
                or comment
                == self.model.sees_interaction(moment, name, parent.author, parent.answers)
            ):
                return name
        return who

    @rule(
        who=people,
        moment=moments,
        by=st.sampled_from(("who", "the next who sees it", "the last to like it")),
    )
    def like_or_unlike(self, who: str, moment: Moment, by: str) -> None:
        """`who` (or the next from them who sees the Moment, or the last one to like it) likes
        the Moment, or takes their like back."""
        model = self.model
        if by == "the next who sees it":
            who = self.someone_who_sees(who, moment)
        elif by == "the last to like it" and moment.likes:
            who = max(moment.likes, key=moment.likes.__getitem__)
        liked = who in moment.likes
        r = self.api(who, "DELETE" if liked else "POST", f"/moments/{moment.id}/like")
        if not model.sees(moment, who):
            return self.refused_on(r, moment)
        assert r.status_code == 200, r.text
        if liked:
            del moment.likes[who]
            subject = (moment.author, "moment_like", moment.key)
            if model.notifications.get(subject) == who:  # the latest liker's notification
                del model.notifications[subject]
            self.expect_event("moment.unliked", model.viewers(moment, who) | {who})
        else:
            moment.likes[who] = next(model.clock)
            if who != moment.author:
                self.notify(moment.author, "moment_like", moment.key, who)
            self.expect_event("moment.liked", model.viewers(moment, who) | {who})
        assert self.project(r.json()) == model.view(moment, who)

    def comment(self, who: str, moment: Moment, parent: Comment | None) -> None:
        model = self.model
        body: dict[str, Any] = {"text": f"comment {next(self.counter)}"}
        if parent is not None:
            body["reply_to_id"] = parent.id
        r = self.api(who, "POST", f"/moments/{moment.id}/comments", json=body)
        if not model.sees(moment, who):
            return self.refused_on(r, moment)
        if parent is not None and (
            parent.deleted or not model.sees_interaction(moment, who, parent.author, parent.answers)
        ):
            return self.refused_on(r, moment)  # a comment one may not see is as good as missing
        assert r.status_code == 201, r.text
        comment = Comment(
            self.key("c", r.json()["id"]), r.json()["id"], moment, who, body["text"], parent
        )
        moment.comments.append(comment)
        assert (r.json()["text"], r.json()["reply_to_id"]) == (
            comment.text,
            parent.id if parent else None,
        )
        audience = model.viewers(moment, who, comment.answers)
        poster, answers = moment.author, comment.answers
        if poster != who and poster in audience:
            kind = "moment_reply" if answers == poster else "moment_comment"
            self.notify(poster, kind, comment.key, who)
        if answers is not None and answers not in (who, poster) and answers in audience:
            self.notify(answers, "moment_reply", comment.key, who)
        self.expect_event("moment.commented", audience | {who})

    @rule(
        who=people,
        fitting=st.booleans(),
        moment=moments,
        pick=st.none() | st.integers(min_value=0, max_value=7),
    )
    def comment_or_reply(self, who: str, fitting: bool, moment: Moment, pick: int | None) -> None:
        """On `moment`, `who` comments, or replies to its comment number `pick` (from the
        newest, deleted ones too; pick=None or no comment yet: a comment). If `fitting`, the
        one who does it is the next from `who` who sees the Moment (and the comment); if not,
        a reply is by the next from `who` who sees the Moment but not the comment (refused)."""
        if moment.comments and pick is not None:
            comment = moment.comments[-1 - pick % len(moment.comments)]
            who = self.someone_who_sees(who, moment, comment, comment=fitting)
            return self.comment(who, moment, comment)
        if fitting:
            who = self.someone_who_sees(who, moment)
        return self.comment(who, moment, None)

    @precondition(lambda self: any(m.comments for m in self.model.moments))
    @rule(who=people, fitting=st.booleans(), pick=st.integers(min_value=0, max_value=15))
    def delete_comment(self, who: str, fitting: bool, pick: int) -> None:
        """`who` (or, if `fitting`, its author) deletes comment number `pick` (from the newest
        of all; deleted ones too)."""
        every = [c for m in self.model.moments for c in m.comments]
        comment = every[-1 - pick % len(every)]
        if fitting:
            who = comment.author
        model = self.model
        moment = comment.moment
        r = self.api(who, "DELETE", f"/moments/{moment.id}/comments/{comment.id}")
        if comment.deleted or moment.deleted or who not in (comment.author, moment.author):
            return self.refused(r, 404)
        assert r.status_code == 204, r.text
        audience = model.viewers(moment, comment.author, comment.answers)
        self.expect_event("moment.comment_deleted", audience | {who, comment.author})
        model.forget({moment.author} | {comment.answers or moment.author}, {comment.key})
        comment.deleted = True

    # What everyone sees

    @invariant()
    def feeds_and_events_match_the_model(self) -> None:
        """After every step: the events. After a write: the feed and the notifications of
        everyone for whom the model says they changed since they were last compared, and of
        one more person in turn (reading everyone's after every step would cost as much as
        taking several times fewer steps)."""
        if self.dirty:
            self.turn = (self.turn + 1) % len(CAST)
            for name in CAST:
                feed, notified = self.model.feed(name), self.model.notified(name)
                if name == CAST[self.turn] or (feed, notified) != self.compared.get(name):
                    r = self.api(name, "GET", "/moments", params={"limit": 100})
                    assert self.page_of(r) == feed, f"{name}'s feed"
                    r = self.api(name, "GET", "/notifications", params={"limit": 100})
                    assert self.notified(r) == notified, f"{name}'s notifications"
                    self.compared[name] = (feed, notified)
            self.dirty = False
        seen = Counter(e for e in map(self._event, self.env.events) if e is not None)
        assert seen == Counter(self.expected_events), "events"
        self.env.events.clear()
        self.expected_events.clear()

    def _event(self, e: Event) -> tuple[str, frozenset[str]] | None:
        users = frozenset(self.name(str(u)) for u in e.users)
        if e.type.startswith("moment."):
            return (e.type, users)
        if e.type == "notification.new" and e.payload["kind"] in NOTIFICATION_KINDS:
            return (f"notification.new:{e.payload['kind']}", users)
        return None

    @rule(viewer=people)
    def every_read_path_matches_the_model(self, viewer: str) -> None:
        """What `viewer` gets of each author's page and of each Moment alone, and what
        everyone gets of each Moment's image (nothing to do if nothing changed since the last
        time)."""
        model = self.model
        if not self.stale:
            return
        self.stale = False
        for author in CAST:
            path = f"/accounts/{self.users[author].id}/moments"
            r = self.api(viewer, "GET", path, params={"limit": 100})
            if (author, viewer) in model.blocks:
                self.refused(r, 404)
            else:
                assert self.page_of(r) == model.page(viewer, author), (viewer, author)
        for m in model.moments:
            r = self.api(viewer, "GET", f"/moments/{m.id}")
            if model.sees(m, viewer):
                assert r.status_code == 200, (viewer, m.key, r.text)
                assert self.project(r.json()) == model.view(m, viewer), (viewer, m.key)
            else:
                assert r.status_code == 404, (viewer, m.key, r.text)
        for m in [m for m in model.moments if m.media is not None]:
            for name in CAST:
                image = self.api(name, "GET", f"/media/{m.media}")  # access_media
                shown = name == m.author or model.sees(m, name)
                assert image.status_code == (200 if shown else 404), (name, m.key, "image")


async def test_moments_match_a_model_of_who_may_see_what(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    env = Env(asyncio.get_running_loop(), client)
    app.state.services.bus.subscribe(env.events.append)
    await asyncio.to_thread(
        run_state_machine_as_test, lambda: MomentsMachine(env), settings=SETTINGS
    )
