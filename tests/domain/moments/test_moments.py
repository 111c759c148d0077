"""Moments: the friends-only wall. One test per rule of issue 4 (second half), on every backend.

Personas (the `world` fixture), seen from the author's Moments:
- author: posts; sees all of their own Moments;
- friend, mutual: the author's mutual friends, and each other's (so "mutual" is a friend that
  the friend and the author have in common);
- other: the author's mutual friend, but no friend of `friend` or `mutual`;
- nonmutual: in the author's contacts, but they removed the author (no longer mutual);
- removed: the author removed them (they still have the author);
- follower: follows the author, is no friend;
- stranger: nothing to do with anyone;
- blocked: a friend whom the author blocked (contacts stay, as on WeChat).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, update

from quanzi.db.models import Moment
from quanzi.realtime.events import Event
from tests.helpers import (
    PASSWORD,
    Personas,
    User,
    assert_missing_file,
    encode,
    load_file,
    picture,
)

PERSONAS = (
    "author",
    "friend",
    "mutual",
    "other",
    "nonmutual",
    "removed",
    "follower",
    "stranger",
    "blocked",
)


class Wall:
    """Moments (and the contacts they depend on) as one user sees them through the API."""

    def __init__(self, client: httpx.AsyncClient, user: User) -> None:
        self.c = client
        self.user = user

    @property
    def id(self) -> str:
        return self.user.id

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.c.request(
            method, f"/api/quanzi/v1{path}", headers=self.user.auth, **kwargs
        )

    # contacts

    async def befriend(self, other: Wall) -> None:
        sent = await self.call(
            "POST", "/friend-requests", json={"account_id": other.id, "greeting": "hi"}
        )
        assert sent.status_code == 201, sent.text
        if not sent.json()["friends"]:
            request_id = sent.json()["request"]["id"]
            r = await other.call("POST", f"/friend-requests/{request_id}/accept", json={})
            assert r.status_code == 200, r.text

    async def remove(self, other: Wall) -> None:
        r = await self.call("DELETE", f"/friends/{other.id}")
        assert r.status_code == 204, r.text

    async def block(self, other: Wall) -> None:
        r = await self.call("PUT", f"/blocks/{other.id}")
        assert r.status_code == 204, r.text

    async def label(self, name: str, *members: Wall) -> str:
        r = await self.call("POST", "/labels", json={"name": name, "member_ids": ids(*members)})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def relabel(self, label_id: str, *members: Wall) -> None:
        r = await self.call("PATCH", f"/labels/{label_id}", json={"member_ids": ids(*members)})
        assert r.status_code == 200, r.text

    async def upload(self) -> str:
        r = await self.c.post(
            "/api/quanzi/v1/media",
            files={"file": ("p.png", encode(picture(), "PNG"))},
            headers=self.user.auth,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    # Moments

    async def try_post(self, text: str = "今天天气很好", **body: Any) -> httpx.Response:
        return await self.call("POST", "/moments", json={"text": text, **body})

    async def post(self, text: str = "今天天气很好", **body: Any) -> dict[str, Any]:
        r = await self.try_post(text, **body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def moment(self, moment_id: str) -> dict[str, Any]:
        r = await self.call("GET", f"/moments/{moment_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def feed(self, **params: Any) -> dict[str, Any]:
        r = await self.call("GET", "/moments", params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def feed_ids(self, **params: Any) -> list[str]:
        return [m["id"] for m in (await self.feed(**params))["items"]]

    async def page_ids(self, author: Wall) -> list[str]:
        r = await self.call("GET", f"/accounts/{author.id}/moments")
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["items"]]

    async def sees(self, moment: dict[str, Any]) -> bool:
        """Whether I see the Moment; every read path must agree."""
        one = await self.call("GET", f"/moments/{moment['id']}")
        assert one.status_code in (200, 404), one.text
        in_feed = moment["id"] in await self.feed_ids(limit=100)
        page = await self.call("GET", f"/accounts/{moment['author']['id']}/moments")
        on_page = page.status_code == 200 and moment["id"] in [
            m["id"] for m in page.json()["items"]
        ]
        assert (one.status_code == 200) == in_feed == on_page, (one.text, in_feed, on_page)
        return in_feed

    async def like(self, moment: dict[str, Any]) -> httpx.Response:
        return await self.call("POST", f"/moments/{moment['id']}/like")

    async def unlike(self, moment: dict[str, Any]) -> httpx.Response:
        return await self.call("DELETE", f"/moments/{moment['id']}/like")

    async def comment(
        self, moment: dict[str, Any], text: str = "赞", reply_to: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"text": text}
        if reply_to is not None:
            body["reply_to_id"] = reply_to
        return await self.call("POST", f"/moments/{moment['id']}/comments", json=body)

    async def said(
        self, moment: dict[str, Any], text: str = "赞", reply_to: str | None = None
    ) -> str:
        r = await self.comment(moment, text, reply_to)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def interactions(self, moment: dict[str, Any]) -> tuple[list[str], list[str]]:
        """(who liked, comment texts) as I see them; the counts must match."""
        seen = await self.moment(moment["id"])
        assert seen["likes_count"] == len(seen["likes"])
        assert seen["comments_count"] == len(seen["comments"])
        return [a["handle"] for a in seen["likes"]], [c["text"] for c in seen["comments"]]

    async def notifications(self) -> list[tuple[str, str | None]]:
        """My notifications about Moments (kind, actor), newest first."""
        r = await self.call("GET", "/notifications", params={"limit": 100})
        return [
            (n["kind"], n["actor_id"]) for n in r.json()["items"] if n["kind"].startswith("moment_")
        ]


def ids(*walls: Wall) -> list[str]:
    return [w.id for w in walls]


@dataclass
class World:
    author: Wall
    friend: Wall
    mutual: Wall
    other: Wall
    nonmutual: Wall
    removed: Wall
    follower: Wall
    stranger: Wall
    blocked: Wall

    def all(self) -> dict[str, Wall]:
        return {name: getattr(self, name) for name in PERSONAS}

    async def who_sees(self, moment: dict[str, Any]) -> set[str]:
        return {name for name, wall in self.all().items() if await wall.sees(moment)}


@pytest.fixture
async def world(people: Personas) -> World:
    walls = [Wall(people.client, await people.register(name)) for name in PERSONAS]
    w = World(*walls)
    for friend in (w.friend, w.mutual, w.other, w.nonmutual, w.removed, w.blocked):
        await w.author.befriend(friend)
    await w.friend.befriend(w.mutual)
    await w.nonmutual.remove(w.author)  # the author still has them
    await w.author.remove(w.removed)  # they still have the author
    await w.author.block(w.blocked)
    r = await w.follower.call("POST", f"/accounts/{w.author.id}/follow")
    assert r.status_code == 200, r.text
    return w


class Recorder:
    """The events published on the bus, with who they were for."""

    def __init__(self, app: FastAPI) -> None:
        self.events: list[Event] = []
        app.state.services.bus.subscribe(self.events.append)

    def to(self, kind: str) -> list[set[str]]:
        return [{str(u) for u in e.users} for e in self.events if e.type == kind]

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        return [e.payload for e in self.events if e.type == kind]

    def clear(self) -> None:
        self.events.clear()


async def age(app: FastAPI, moment: dict[str, Any], days: float) -> None:
    """Pretend a Moment was posted `days` ago."""
    services = app.state.services
    async with services.write() as tx:
        await tx.session.execute(
            update(Moment)
            .where(Moment.id == int(moment["id"]))
            .values(created_at=tx.now - timedelta(days=days))
        )


# 1. A Moment: text, images, location, audience; delete


async def test_moment_with_text_images_and_location_is_posted(world: World) -> None:
    a = world.author
    images = [await a.upload() for _ in range(3)]
    m = await a.post("  第一行\n第二行\u200b  ", media_ids=images, location="北京 · 三里屯")
    assert m["text"] == "第一行\n第二行"  # cleaned
    assert m["location"] == "北京 · 三里屯"
    assert [x["id"] for x in m["media"]] == images  # in order
    assert m["media"][0]["url"].startswith(f"http://testserver/media/{images[0]}/")
    assert m["author"]["handle"] == "author"
    assert m["audience"] == {"kind": "friends", "account_ids": [], "label_ids": []}
    assert (m["likes"], m["likes_count"], m["comments"], m["comments_count"]) == ([], 0, [], 0)
    seen = await world.friend.moment(m["id"])
    assert seen["audience"] is None  # only the author is told who a Moment is for
    assert [x["id"] for x in seen["media"]] == images
    assert seen["media"] == m["media"]  # the same URLs for everyone shown the Moment
    only_images = await a.post("", media_ids=[await a.upload()])
    assert only_images["text"] == ""


async def test_moment_text_and_location_are_cleaned_and_bounded(world: World) -> None:
    a = world.author
    for body, code in [
        ({"text": "字" * 2001}, "invalid_text"),
        ({"text": ""}, "empty_moment"),
        ({"text": " \n\u200b "}, "empty_moment"),
        ({"text": "hi", "location": "地" * 101}, "invalid_location"),
    ]:
        r = await a.call("POST", "/moments", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
    assert (await a.try_post("字" * 2000, location="地" * 100)).status_code == 201
    assert await a.feed_ids() != []


async def test_moment_images_must_be_own_unattached_and_at_most_nine(world: World) -> None:
    a, f = world.author, world.friend
    nine = [await a.upload() for _ in range(10)]
    too_many = await a.try_post(media_ids=nine)
    assert too_many.status_code == 422
    theirs = await a.try_post(media_ids=[await f.upload()])
    assert theirs.status_code == 404
    twice = await a.try_post(media_ids=[nine[0], nine[0]])
    assert twice.status_code == 422
    assert (await a.try_post(media_ids=nine[:9])).status_code == 201
    reused = await a.try_post(media_ids=[nine[0]])
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "media_in_use"
    assert len(await a.feed_ids()) == 1  # a refused post leaves nothing behind
    described = f"/api/quanzi/v1/media/{nine[9]}"
    assert (await f.c.get(described, headers=f.user.auth)).status_code == 404


async def test_moment_for_all_friends_is_seen_by_mutual_friends_only(world: World) -> None:
    m = await world.author.post("大家好")
    assert await world.who_sees(m) == {"author", "friend", "mutual", "other"}


async def test_private_moment_is_seen_by_its_author_only(world: World) -> None:
    m = await world.author.post("日记", audience={"kind": "private"})
    assert await world.who_sees(m) == {"author"}
    assert (await world.author.moment(m["id"]))["audience"]["kind"] == "private"


async def test_include_audience_shows_listed_friends_and_label_members_only(
    world: World,
) -> None:
    a = world.author
    family = await a.label("家人", world.mutual)
    by_account = await a.post(
        "only you", audience={"kind": "include", "account_ids": [world.friend.id]}
    )
    assert await world.who_sees(by_account) == {"author", "friend"}
    by_label = await a.post("family", audience={"kind": "include", "label_ids": [family]})
    assert await world.who_sees(by_label) == {"author", "mutual"}
    both = await a.post(
        "both",
        audience={"kind": "include", "account_ids": [world.other.id], "label_ids": [family]},
    )
    assert await world.who_sees(both) == {"author", "mutual", "other"}
    assert (await a.moment(both["id"]))["audience"] == {
        "kind": "include",
        "account_ids": [world.other.id],
        "label_ids": [family],
    }
    # Listing someone who is not a mutual friend does not let them in.
    listed = await a.post("you?", audience={"kind": "include", "account_ids": [world.nonmutual.id]})
    assert await world.who_sees(listed) == {"author"}


async def test_exclude_audience_hides_listed_friends_and_label_members(world: World) -> None:
    a = world.author
    family = await a.label("家人", world.mutual)
    m = await a.post(
        "not for family or friend",
        audience={"kind": "exclude", "account_ids": [world.friend.id], "label_ids": [family]},
    )
    assert await world.who_sees(m) == {"author", "other"}


async def test_label_audience_follows_label_membership_when_viewed(world: World) -> None:
    a = world.author
    close = await a.label("密友", world.friend)
    shown = await a.post("密友可见", audience={"kind": "include", "label_ids": [close]})
    hidden = await a.post("不给密友看", audience={"kind": "exclude", "label_ids": [close]})
    assert await world.who_sees(shown) == {"author", "friend"}
    assert await world.who_sees(hidden) == {"author", "mutual", "other"}
    await a.relabel(close, world.mutual)  # friend out, mutual in: old Moments follow
    assert await world.who_sees(shown) == {"author", "mutual"}
    assert await world.who_sees(hidden) == {"author", "friend", "other"}
    r = await a.call("DELETE", f"/labels/{close}")
    assert r.status_code == 204
    assert await world.who_sees(shown) == {"author"}
    assert await world.who_sees(hidden) == {"author", "friend", "mutual", "other"}


async def test_audience_lists_only_own_contacts_and_labels(world: World) -> None:
    a = world.author
    theirs = await world.friend.label("theirs")
    for audience, status, code in [
        ({"kind": "include", "account_ids": [world.stranger.id]}, 422, "not_a_contact"),
        ({"kind": "exclude", "account_ids": [world.follower.id]}, 422, "not_a_contact"),
        ({"kind": "include", "label_ids": [theirs]}, 404, "not_found"),
        ({"kind": "include"}, 422, "empty_audience"),
        ({"kind": "friends", "account_ids": [world.friend.id]}, 422, "invalid_audience"),
        ({"kind": "everyone"}, 422, "invalid_request"),
    ]:
        r = await a.try_post(audience=audience)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), audience
    assert await a.feed_ids() == []


async def test_deleted_moment_disappears_everywhere_and_its_images_are_private_again(
    world: World,
) -> None:
    a, f = world.author, world.friend
    image = await a.upload()
    m = await a.post("soon gone", media_ids=[image])
    assert (await f.like(m)).status_code == 200
    assert (await f.comment(m)).status_code == 201
    described = f"/api/quanzi/v1/media/{image}"
    assert (await f.c.get(described, headers=f.user.auth)).status_code == 200
    photo = (await f.moment(m["id"]))["media"][0]["url"]
    assert (await load_file(f.c, photo)).status_code == 200
    assert [k for k, _ in await a.notifications()] == ["moment_comment", "moment_like"]
    r = await a.call("DELETE", f"/moments/{m['id']}")
    assert r.status_code == 204
    assert await world.who_sees(m) == set()
    assert (await f.c.get(described, headers=f.user.auth)).status_code == 404
    assert (await a.c.get(described, headers=a.user.auth)).status_code == 200
    await assert_missing_file(f.c, photo)
    assert await a.notifications() == []  # what it was about is gone
    assert (await f.like(m)).status_code == 404
    assert (await f.comment(m)).status_code == 404
    again = await a.call("DELETE", f"/moments/{m['id']}")
    assert again.status_code == 404
    assert (await a.try_post("again", media_ids=[image])).status_code == 201  # mine to reuse


async def test_only_the_author_deletes_a_moment(world: World) -> None:
    m = await world.author.post()
    assert (await world.friend.call("DELETE", f"/moments/{m['id']}")).status_code == 403
    hidden = await world.stranger.call("DELETE", f"/moments/{m['id']}")
    missing = await world.stranger.call("DELETE", "/moments/123456789")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert await world.friend.sees(m)


async def test_posting_twice_with_one_idempotency_key_makes_one_moment(world: World) -> None:
    a = world.author
    headers = {**a.user.auth, "Idempotency-Key": "moment-1"}
    body = {"text": "只发一次"}
    first = await a.c.post("/api/quanzi/v1/moments", json=body, headers=headers)
    second = await a.c.post("/api/quanzi/v1/moments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    other = await a.c.post("/api/quanzi/v1/moments", json={"text": "different"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await a.feed_ids()) == 1


# 2. How far back friends may see


async def test_moments_window_limits_how_far_back_friends_see(app: FastAPI, world: World) -> None:
    a, f = world.author, world.friend
    today = await a.post("today")
    last_week = await a.post("last week")
    last_year = await a.post("last year")
    await age(app, last_week, 7)
    await age(app, last_year, 365)
    assert set(await f.feed_ids()) == {today["id"], last_week["id"], last_year["id"]}
    for window, seen in [
        ("6m", {today["id"], last_week["id"]}),
        ("3d", {today["id"]}),
        ("all", {today["id"], last_week["id"], last_year["id"]}),
    ]:
        r = await a.call("PATCH", "/accounts/me", json={"privacy": {"moments_window": window}})
        assert r.status_code == 200, r.text
        app.state.services.account_cache.clear()
        assert set(await f.feed_ids()) == seen, window
        assert set(await f.page_ids(a)) == seen, window
        for m in (today, last_week, last_year):
            assert (await f.call("GET", f"/moments/{m['id']}")).status_code == (
                200 if m["id"] in seen else 404
            )
        assert len(await a.feed_ids()) == 3  # the author always sees all of their own
        assert len(await a.page_ids(a)) == 3


async def test_window_boundaries_are_three_and_183_days(app: FastAPI, world: World) -> None:
    a, f = world.author, world.friend
    inside_3d, outside_3d = await a.post("2.9 days"), await a.post("3.1 days")
    inside_6m, outside_6m = await a.post("182 days"), await a.post("184 days")
    for m, days in [(inside_3d, 2.9), (outside_3d, 3.1), (inside_6m, 182), (outside_6m, 184)]:
        await age(app, m, days)
    await a.call("PATCH", "/accounts/me", json={"privacy": {"moments_window": "3d"}})
    assert set(await f.feed_ids()) == {inside_3d["id"]}
    await a.call("PATCH", "/accounts/me", json={"privacy": {"moments_window": "6m"}})
    assert set(await f.feed_ids()) == {inside_3d["id"], outside_3d["id"], inside_6m["id"]}


# 3. Feed, a person's Moments, one Moment, live


async def test_feed_is_friends_and_own_moments_newest_first(world: World) -> None:
    a, f, m, s = world.author, world.friend, world.mutual, world.stranger
    posted = [
        await a.post("a1"),
        await f.post("f1"),
        await s.post("s1"),
        await m.post("m1"),
        await world.nonmutual.post("n1"),
        await a.post("a2"),
    ]
    texts = [x["text"] for x in (await f.feed())["items"]]
    assert texts == ["a2", "m1", "f1", "a1"]
    assert [x["text"] for x in (await a.feed())["items"]] == ["a2", "m1", "f1", "a1"]
    assert [x["text"] for x in (await s.feed())["items"]] == ["s1"]
    assert [x["text"] for x in (await world.follower.feed())["items"]] == []
    assert posted


async def test_feed_pages_by_id_without_gaps(world: World) -> None:
    a, f = world.author, world.friend
    made = [(await a.post(f"#{i}"))["id"] for i in range(5)]
    newest_first = made[::-1]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await f.feed(**params)
        seen += [x["id"] for x in page["items"]]
        if page["next_max_id"] is None:
            break
        params = {"limit": 2, "max_id": page["next_max_id"]}
    assert seen == newest_first
    after_oldest = await f.feed(min_id=made[0], limit=2)
    assert [x["id"] for x in after_oldest["items"]] == [made[2], made[1]]
    since = await f.feed(since_id=made[2])
    assert [x["id"] for x in since["items"]] == [made[4], made[3]]
    newer = await f.feed(min_id=made[4])
    assert newer["items"] == [] and newer["prev_min_id"] == made[4]


async def test_account_moments_page_follows_the_same_rules(world: World) -> None:
    a = world.author
    shown = await a.post("for friends")
    await a.post("private", audience={"kind": "private"})
    await world.friend.post("the friend's own")
    assert await world.friend.page_ids(a) == [shown["id"]]
    assert len(await a.page_ids(a)) == 2
    assert await world.stranger.page_ids(a) == []  # an account they may see, no Moments
    assert await world.follower.page_ids(a) == []
    # Someone who blocked me is nobody to me: the same 404 as for a missing account.
    await world.other.block(world.stranger)
    hidden = await world.stranger.call("GET", f"/accounts/{world.other.id}/moments")
    missing = await world.stranger.call("GET", "/accounts/123456789/moments")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


async def test_one_moment_is_404_when_hidden_as_when_missing(world: World) -> None:
    m = await world.author.post("hello", audience={"kind": "private"})
    hidden = await world.friend.call("GET", f"/moments/{m['id']}")
    missing = await world.friend.call("GET", "/moments/123456789")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    for path in (f"/moments/{m['id']}/like", f"/moments/{m['id']}/comments"):
        r = await world.friend.call(
            "POST", path, json={"text": "?"} if "comments" in path else None
        )
        assert r.status_code == 404
        assert r.json() == missing.json()


async def test_new_moment_is_pushed_only_to_those_who_may_see_it(
    app: FastAPI, world: World
) -> None:
    rec = Recorder(app)
    a = world.author
    await a.post("for all friends")
    family = await a.label("家人", world.mutual)
    await a.post("family", audience={"kind": "include", "label_ids": [family]})
    await a.post("not friend", audience={"kind": "exclude", "account_ids": [world.friend.id]})
    await a.post("mine", audience={"kind": "private"})
    author, friend, mutual, other = a.id, world.friend.id, world.mutual.id, world.other.id
    assert rec.to("moment.new") == [
        {author},
        {friend, mutual, other},
        {author},
        {mutual},
        {author},
        {mutual, other},
        {author},
    ]
    payloads = rec.payloads("moment.new")
    assert payloads[0]["audience"]["kind"] == "friends"  # the author's own copy
    assert payloads[1]["audience"] is None  # what the others see
    assert payloads[1]["text"] == "for all friends"


async def test_new_moment_reaches_the_audience_over_the_stream(live: str, world: World) -> None:
    from tests.test_chat_live import frames_of, nothing_of, open_stream

    sockets = {
        name: await open_stream(live, getattr(world, name).user)
        for name in ("author", "friend", "stranger", "nonmutual", "follower", "blocked")
    }
    m = await world.author.post("直播")
    for name in ("author", "friend"):
        [got] = await frames_of(sockets[name], "moment.new", 1)
        assert (got["id"], got["text"]) == (m["id"], "直播")
    for name in ("stranger", "nonmutual", "follower", "blocked"):
        await nothing_of(sockets[name], "moment.new")
    for ws in sockets.values():
        await ws.close()


# 4. Likes and comments, seen only among mutual friends


async def test_likes_and_comments_are_shown_only_from_the_viewers_mutual_friends(
    world: World,
) -> None:
    a, f, m, o = world.author, world.friend, world.mutual, world.other
    moment = await a.post()
    for who in (f, m, o, a):
        assert (await who.like(moment)).status_code == 200
        await who.said(moment, f"{who.user.handle} says hi")
    # The poster sees everyone's; each friend sees their own, their friends' and the poster's.
    assert await a.interactions(moment) == (
        ["friend", "mutual", "other", "author"],
        ["friend says hi", "mutual says hi", "other says hi", "author says hi"],
    )
    assert await f.interactions(moment) == (
        ["friend", "mutual", "author"],
        ["friend says hi", "mutual says hi", "author says hi"],
    )
    assert await o.interactions(moment) == (
        ["other", "author"],
        ["other says hi", "author says hi"],
    )
    assert (await f.moment(moment["id"]))["liked"] is True
    assert (await world.stranger.call("GET", f"/moments/{moment['id']}")).status_code == 404


async def test_counts_count_only_what_the_viewer_may_see(world: World) -> None:
    a, f, o = world.author, world.friend, world.other
    moment = await a.post()
    await o.like(moment)
    await o.said(moment, "1")
    await o.said(moment, "2")
    mine = await f.moment(moment["id"])
    assert (mine["likes_count"], mine["comments_count"]) == (0, 0)
    feed_item = (await f.feed())["items"][0]
    assert (feed_item["likes_count"], feed_item["comments_count"]) == (0, 0)
    poster = await a.moment(moment["id"])
    assert (poster["likes_count"], poster["comments_count"]) == (1, 2)
    page_item = (await o.call("GET", f"/accounts/{a.id}/moments")).json()["items"][0]
    assert (page_item["likes_count"], page_item["comments_count"]) == (1, 2)


async def test_removing_a_friend_hides_the_interactions_between_the_two(world: World) -> None:
    a, f, m = world.author, world.friend, world.mutual
    moment = await a.post()
    await f.like(moment)
    await f.said(moment, "from friend")
    await m.said(moment, "from mutual")
    assert await m.interactions(moment) == (["friend"], ["from friend", "from mutual"])
    await a.remove(f)  # the poster removes the friend: hidden from everyone, poster included
    assert await a.interactions(moment) == ([], ["from mutual"])
    assert await m.interactions(moment) == ([], ["from mutual"])
    assert not await f.sees(moment)
    await a.befriend(f)  # friends again: what was hidden shows again
    assert await m.interactions(moment) == (["friend"], ["from friend", "from mutual"])
    await f.remove(a)  # the other way round hides them too
    assert await a.interactions(moment) == ([], ["from mutual"])
    assert await m.interactions(moment) == ([], ["from mutual"])


async def test_viewer_who_removed_a_friend_no_longer_sees_that_friends_interactions(
    world: World,
) -> None:
    a, f, m = world.author, world.friend, world.mutual
    moment = await a.post()
    await f.like(moment)
    await f.said(moment, "from friend")
    await m.remove(f)
    assert await m.interactions(moment) == ([], [])
    assert await a.interactions(moment) == (["friend"], ["from friend"])
    assert await f.interactions(moment) == (["friend"], ["from friend"])  # their own
    await f.befriend(m)
    assert await m.interactions(moment) == (["friend"], ["from friend"])


async def test_only_those_who_may_see_a_moment_like_or_comment_on_it(world: World) -> None:
    moment = await world.author.post()
    for name in ("stranger", "follower", "nonmutual", "removed", "blocked"):
        wall = getattr(world, name)
        assert (await wall.like(moment)).status_code == 404, name
        assert (await wall.comment(moment)).status_code == 404, name
        assert (await wall.unlike(moment)).status_code == 404, name
    assert await world.author.interactions(moment) == ([], [])
    assert await world.author.notifications() == []


async def test_reply_only_to_a_comment_one_may_see(world: World) -> None:
    a, f, m, o = world.author, world.friend, world.mutual, world.other
    moment = await a.post()
    others = await o.said(moment, "other's")
    friends = await f.said(moment, "friend's")
    hidden = await m.comment(moment, "re", reply_to=others)  # mutual does not see other's
    missing = await m.comment(moment, "re", reply_to="123456789")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    r = await m.comment(moment, "re friend", reply_to=friends)
    assert r.status_code == 201, r.text
    assert (r.json()["reply_to_id"], r.json()["reply_to"]["handle"]) == (friends, "friend")
    elsewhere = await a.post("another")
    wrong = await f.comment(elsewhere, "re", reply_to=friends)  # not a comment of that Moment
    assert wrong.status_code == 404


async def test_reply_is_hidden_from_viewers_who_may_not_see_the_person_replied_to(
    world: World,
) -> None:
    a, f, m, o = world.author, world.friend, world.mutual, world.other
    moment = await a.post()
    others = await o.said(moment, "other's")
    await a.said(moment, "poster to other", reply_to=others)
    # friend and mutual may not see other's comments, so not a reply naming other either
    assert await f.interactions(moment) == ([], [])
    assert await m.interactions(moment) == ([], [])
    assert await o.interactions(moment) == ([], ["other's", "poster to other"])
    assert await a.interactions(moment) == ([], ["other's", "poster to other"])


async def test_unlike_and_delete_own_comment(world: World) -> None:
    a, f = world.author, world.friend
    moment = await a.post()
    assert (await f.like(moment)).json()["likes_count"] == 1
    assert (await f.like(moment)).json()["likes_count"] == 1  # liking twice is one like
    r = await f.unlike(moment)
    assert (r.status_code, r.json()["liked"], r.json()["likes_count"]) == (200, False, 0)
    assert (await f.unlike(moment)).status_code == 200
    assert [k for k, _ in await a.notifications()] == []  # the like notification went too
    comment = await f.said(moment, "oops")
    r = await f.call("DELETE", f"/moments/{moment['id']}/comments/{comment}")
    assert r.status_code == 204
    assert await a.interactions(moment) == ([], [])
    assert await a.notifications() == []
    again = await f.call("DELETE", f"/moments/{moment['id']}/comments/{comment}")
    assert again.status_code == 404


async def test_poster_deletes_any_comment_and_others_none(world: World) -> None:
    a, f, m = world.author, world.friend, world.mutual
    moment = await a.post()
    comment = await f.said(moment, "rude")
    r = await m.call("DELETE", f"/moments/{moment['id']}/comments/{comment}")
    assert r.status_code == 404
    r = await a.call("DELETE", f"/moments/{moment['id']}/comments/{comment}")
    assert r.status_code == 204
    assert await f.interactions(moment) == ([], [])


# 5. Everything derived: notifications, media, events, other doors, blocks, erasure


async def test_like_and_comment_notify_the_poster(world: World) -> None:
    a, f, m = world.author, world.friend, world.mutual
    moment = await a.post()
    await f.like(moment)
    await m.like(moment)
    await f.said(moment)
    await a.like(moment)  # one's own like tells nobody
    await a.said(moment)
    assert await a.notifications() == [
        ("moment_comment", f.id),
        ("moment_like", m.id),  # one per Moment, refreshed by the latest like
    ]
    items = (await a.call("GET", "/notifications")).json()["items"]
    assert items[0]["data"]["moment_id"] == moment["id"]
    assert "text" not in items[0]["data"]
    assert await f.notifications() == []


async def test_reply_notifies_the_replied_to_only_if_they_may_see_it(world: World) -> None:
    a, f, m, o = world.author, world.friend, world.mutual, world.other
    later = await a.label("later")  # nobody yet
    moment = await a.post(audience={"kind": "exclude", "label_ids": [later]})
    friends = await f.said(moment, "friend's")
    others = await o.said(moment, "other's")
    await m.said(moment, "mutual to friend", reply_to=friends)  # friends: friend is told
    assert ("moment_reply", m.id) in await f.notifications()
    await a.said(moment, "poster to other", reply_to=others)  # the poster: other is told
    assert ("moment_reply", a.id) in await o.notifications()
    # other replies to the poster's reply... and to friend's comment they cannot see: refused
    assert (await o.comment(moment, "?", reply_to=friends)).status_code == 404
    # the poster replying to friend tells friend; friend replying to the poster tells the poster
    poster_says = await a.said(moment, "poster to friend", reply_to=friends)
    await f.said(moment, "friend to poster", reply_to=poster_says)
    assert [k for k, actor in await a.notifications() if actor == f.id] == [
        "moment_reply",
        "moment_comment",
    ]
    # someone the Moment is no longer shown to is not told of replies to their comment
    await a.relabel(later, f)
    before = await f.notifications()
    await m.said(moment, "mutual to friend again", reply_to=friends)
    assert await f.notifications() == before
    assert ("moment_comment", m.id) in await a.notifications()


async def test_moment_images_are_shown_only_to_those_who_may_see_the_moment(
    world: World,
) -> None:
    a = world.author
    family = await a.label("家人", world.mutual)
    image = await a.upload()
    m = await a.post(
        "photo", media_ids=[image], audience={"kind": "include", "label_ids": [family]}
    )
    for name, wall in world.all().items():
        r = await wall.c.get(f"/api/quanzi/v1/media/{image}", headers=wall.user.auth)
        assert r.status_code == (200 if name in ("author", "mutual") else 404), name
    assert (await a.c.get(f"/api/quanzi/v1/media/{image}")).status_code == 404  # anonymous
    shown = (await world.mutual.moment(m["id"]))["media"][0]
    assert (await load_file(a.c, shown["url"])).status_code == 200
    await a.relabel(family)  # out of the label: the image goes with the Moment
    r = await world.mutual.c.get(f"/api/quanzi/v1/media/{image}", headers=world.mutual.user.auth)
    assert r.status_code == 404
    # and the URLs handed out before stop working: the author narrowed the audience
    await assert_missing_file(a.c, shown["url"])
    await assert_missing_file(a.c, shown["thumbnail_url"])
    fresh = (await a.moment(m["id"]))["media"][0]
    assert fresh["url"] != shown["url"]
    assert (await load_file(a.c, fresh["url"])).status_code == 200


async def test_narrowing_who_sees_my_moments_ends_their_photo_urls(world: World) -> None:
    """Each way an author narrows the audience of their Moments gives the photos new URLs
    (the old ones answer as missing media); what does not narrow it keeps them."""
    a, f = world.author, world.friend
    m = await a.post("photo", media_ids=[await a.upload()])
    family = await a.label("家人", f, world.mutual)

    async def photo() -> str:
        url = str((await f.moment(m["id"]))["media"][0]["url"])
        assert (await load_file(f.c, url)).status_code == 200
        return url

    async def friends_labels() -> httpx.Response:
        return await a.call("PATCH", f"/friends/{world.other.id}", json={"label_ids": [family]})

    narrowing = {
        "a friend's labels": friends_labels,
        "a label's members": lambda: a.call(
            "PATCH", f"/labels/{family}", json={"member_ids": [f.id]}
        ),
        "a label deleted": lambda: a.call("DELETE", f"/labels/{family}"),
        "the window": lambda: a.call(
            "PATCH", "/accounts/me", json={"privacy": {"moments_window": "6m"}}
        ),
        "a friend removed": lambda: a.call("DELETE", f"/friends/{world.other.id}"),
        "someone blocked": lambda: a.call("PUT", f"/blocks/{world.stranger.id}"),
    }
    before = await photo()
    assert (await f.like(m)).status_code == 200  # not narrowing: the URL stays
    assert (await a.call("PATCH", "/accounts/me", json={"bio": "新"})).status_code == 200
    assert await photo() == before
    for what, narrow in narrowing.items():
        r = await narrow()
        assert r.status_code in (200, 204), (what, r.text)
        await assert_missing_file(f.c, before)
        after = await photo()
        assert after != before, what
        before = after


async def test_like_and_comment_events_go_only_to_those_who_may_see_them(
    app: FastAPI, world: World
) -> None:
    a, f, m, o = world.author, world.friend, world.mutual, world.other
    moment = await a.post()
    rec = Recorder(app)
    await f.like(moment)
    await o.like(moment)
    assert rec.to("moment.liked") == [{a.id, f.id, m.id}, {a.id, o.id}]
    assert rec.payloads("moment.liked")[0]["account"]["handle"] == "friend"
    friends = await f.said(moment, "friend's")
    await o.said(moment, "other's")
    await m.said(moment, "re", reply_to=friends)
    assert rec.to("moment.commented") == [{a.id, f.id, m.id}, {a.id, o.id}, {a.id, f.id, m.id}]
    await o.unlike(moment)
    assert rec.to("moment.unliked") == [{a.id, o.id}]
    await f.call("DELETE", f"/moments/{moment['id']}/comments/{friends}")
    assert rec.to("moment.comment_deleted") == [{a.id, f.id, m.id}]
    await a.call("DELETE", f"/moments/{moment['id']}")
    assert rec.to("moment.deleted") == [{a.id, f.id, m.id, o.id}]
    for e in rec.events:  # nothing of the Moment ever went to anyone else
        if e.type.startswith(("moment.", "notification.")):
            assert {str(u) for u in e.users} <= {a.id, f.id, m.id, o.id}


async def test_nothing_of_moments_appears_in_other_doors(world: World) -> None:
    a = world.author
    await a.post("独角兽彩虹 unicornrainbow")
    for q in ("独角兽彩虹", "unicornrainbow"):
        r = await world.friend.call("GET", "/accounts/search", params={"q": q})
        assert r.status_code == 200
        assert r.json()["items"] == []
    profile = await world.friend.call("GET", f"/accounts/{a.id}")
    assert "unicornrainbow" not in profile.text
    conversations = await world.friend.call("GET", "/conversations")
    assert "unicornrainbow" not in conversations.text


async def test_blocked_either_way_sees_nothing(world: World) -> None:
    a, f = world.author, world.friend
    moment = await a.post()
    await f.like(moment)
    await f.said(moment, "before")
    theirs = await world.blocked.post("blocked's own")
    assert not await world.blocked.sees(moment)  # the author blocked them
    assert not await a.sees(theirs)  # and the author does not see theirs either
    await f.block(a)  # a friend who blocks the author
    assert not await f.sees(moment)
    assert await a.interactions(moment) == ([], [])  # and their interactions are hidden
    assert (await f.like(moment)).status_code == 404
    await f.call("DELETE", f"/blocks/{a.id}")
    assert await f.sees(moment)
    assert await a.interactions(moment) == (["friend"], ["before"])


async def test_erasing_an_account_erases_its_moments_likes_and_comments(world: World) -> None:
    a, f, m = world.author, world.friend, world.mutual
    moment = await a.post()
    friends = await f.said(moment, "friend's")
    await f.like(moment)
    await m.said(moment, "re", reply_to=friends)
    theirs = await f.post("friend's own")
    r = await f.call("DELETE", "/accounts/me", json={"password": PASSWORD})
    assert r.status_code == 204, r.text
    seen = await a.moment(moment["id"])
    assert (seen["likes"], [c["text"] for c in seen["comments"]]) == ([], ["re"])
    assert seen["comments"][0]["reply_to"] is None  # the reply stays, as a plain comment
    assert theirs["id"] not in await a.feed_ids()
    r = await a.call("DELETE", "/accounts/me", json={"password": PASSWORD})
    assert r.status_code == 204
    assert await m.feed_ids() == []


# Efficiency: a page costs the same number of statements whatever its size


async def test_feed_reads_a_page_in_a_fixed_number_of_statements(
    app: FastAPI, world: World
) -> None:
    a, f, m = world.author, world.friend, world.mutual
    for i in range(12):
        moment = await a.post(f"#{i}", media_ids=[await a.upload()])
        await f.like(moment)
        await m.said(moment, "c")
        await f.said(moment, "d")
    db = app.state.services.db
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engines = {id(e.sync_engine): e.sync_engine for e in (db.reader, db.writer)}
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", count)
    try:
        costs = []
        for limit in (2, 12, 2, 12):
            statements.clear()
            page = await f.feed(limit=limit)
            assert len(page["items"]) == limit
            costs.append(len(statements))
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", count)
    assert costs[2] == costs[3], costs  # warm caches: as many statements for 12 as for 2
    assert costs[3] <= 6, statements


async def test_concurrent_likes_make_one_like_each_and_one_notification(
    people: Personas, world: World
) -> None:
    moment = await world.author.post()
    tablet = Wall(world.friend.c, await people.login("friend", device="tablet"))
    likers = (world.friend, tablet, world.mutual, world.other) * 3
    results = await asyncio.gather(*(w.like(moment) for w in likers))
    assert {r.status_code for r in results} == {200}
    likes, _ = await world.author.interactions(moment)
    assert sorted(likes) == ["friend", "mutual", "other"]
    assert [k for k, _ in await world.author.notifications()] == ["moment_like"]
