"""The square: posts, visibility, reposts with chains, threaded comments, likes, counts, views,
timelines, topics and trending, communities, search."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import Personas, User, encode, load_file, picture


class Square:
    def __init__(self, client: httpx.AsyncClient, user: User) -> None:
        self.c = client
        self.user = user

    @property
    def id(self) -> str:
        return self.user.id

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.c.request(method, f"/api/quanzi/v1{path}", headers=self.user.auth, **kw)

    async def post(self, text: str = "hello", **body: Any) -> dict[str, Any]:
        r = await self.call("POST", "/posts", json={"text": text, **body})
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def repost(self, post_id: str, comment: str = "") -> dict[str, Any]:
        r = await self.call("POST", f"/posts/{post_id}/reposts", json={"comment": comment})
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def see(self, post_id: str) -> httpx.Response:
        return await self.call("GET", f"/posts/{post_id}")

    async def timeline(self, path: str, **params: Any) -> list[dict[str, Any]]:
        r = await self.call("GET", path, params=params)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def follow(self, other: Square) -> None:
        r = await self.call("POST", f"/accounts/{other.id}/follow")
        assert r.status_code == 200, r.text

    async def image(self) -> str:
        r = await self.c.post(
            "/api/quanzi/v1/media",
            files={"file": ("p.png", encode(picture(), "PNG"), "image/png")},
            headers=self.user.auth,
        )
        return str(r.json()["id"])

    async def kinds(self) -> list[str]:
        r = await self.call("GET", "/notifications")
        return [n["kind"] for n in r.json()["items"]]


@pytest.fixture
async def crowd(people: Personas) -> dict[str, Square]:
    names = ["author", "follower", "stranger", "mentioned", "other"]
    return {n: Square(people.client, await people.register(n)) for n in names}


def texts(items: list[dict[str, Any]]) -> list[str]:
    return [p["text"] for p in items]


# Posting


async def test_a_post_with_images_topics_mentions_and_links(crowd: dict[str, Square]) -> None:
    author, mentioned = crowd["author"], crowd["mentioned"]
    images = [await author.image(), await author.image()]
    post = await author.post(
        "周末去 #香山 爬山# 吧 @mentioned 看 https://example.com/map #hiking", media_ids=images
    )
    assert post["topics"] == ["香山 爬山", "hiking"]
    assert post["mentions"] == [mentioned.id]
    assert post["links"] == ["https://example.com/map"]
    assert [m["id"] for m in post["media"]] == images
    assert post["visibility"] == "public"
    assert await mentioned.kinds() == ["mention"]
    topic = await author.call("GET", "/topics/香山 爬山")
    assert topic.json()["post_count"] == 1
    # a public post's images: anyone may describe them, and their URLs load with no header
    assert (await author.c.get(f"/api/quanzi/v1/media/{images[0]}")).status_code == 200
    assert (await load_file(author.c, post["media"][0]["url"])).status_code == 200


async def test_text_limit_and_feed_excerpt(crowd: dict[str, Square]) -> None:
    author = crowd["author"]
    too_long = await author.call("POST", "/posts", json={"text": "字" * 2001})
    assert too_long.status_code == 422
    empty = await author.call("POST", "/posts", json={"text": "  "})
    assert empty.json()["error"]["code"] == "empty_post"
    long = await author.post("好" * 300)
    assert (len(long["excerpt"]), long["truncated"], len(long["text"])) == (140, True, 300)
    short = await author.post("短")
    assert (short["excerpt"], short["truncated"]) == ("短", False)


async def test_followers_only_and_mentioned_only_posts(crowd: dict[str, Square]) -> None:
    author, follower, stranger, mentioned = (
        crowd["author"],
        crowd["follower"],
        crowd["stranger"],
        crowd["mentioned"],
    )
    await follower.follow(author)
    followers = await author.post("for my followers", visibility="followers")
    private = await author.post("just @mentioned", visibility="mentioned")
    assert (await follower.see(followers["id"])).status_code == 200
    assert (await stranger.see(followers["id"])).status_code == 404
    assert (await author.c.get(f"/api/quanzi/v1/posts/{followers['id']}")).status_code == 404
    assert (await mentioned.see(private["id"])).status_code == 200
    assert (await follower.see(private["id"])).status_code == 404
    for who, expected in [(author, 2), (follower, 1), (mentioned, 1), (stranger, 0)]:
        seen = await who.timeline(f"/accounts/{author.id}/posts")
        assert len(seen) == expected, who.user.handle
    assert texts(await stranger.timeline("/timelines/public")) == []


async def test_blocks_hide_posts_both_ways(crowd: dict[str, Square]) -> None:
    author, other = crowd["author"], crowd["other"]
    post = await author.post("visible to all but one")
    await author.call("PUT", f"/blocks/{other.id}")
    assert (await other.see(post["id"])).status_code == 404
    assert texts(await other.timeline("/timelines/public")) == []
    theirs = await other.post("and theirs")
    assert (await author.see(theirs["id"])).status_code == 404


async def test_editing_keeps_the_history(crowd: dict[str, Square]) -> None:
    author = crowd["author"]
    post = await author.post("first #old")
    r = await author.call("PATCH", f"/posts/{post['id']}", json={"text": "second #new"})
    assert r.status_code == 200
    assert (r.json()["text"], r.json()["topics"]) == ("second #new", ["new"])
    assert r.json()["edited_at"] is not None
    await author.call("PATCH", f"/posts/{post['id']}", json={"text": "third"})
    history = (await author.call("GET", f"/posts/{post['id']}/history")).json()["items"]
    assert [h["text"] for h in history] == ["second #new", "first #old"]
    assert (await author.call("GET", "/topics/old")).json()["post_count"] == 0
    assert (await author.call("GET", "/topics/new")).json()["post_count"] == 0
    someone = crowd["other"]
    not_mine = await someone.call("PATCH", f"/posts/{post['id']}", json={"text": "x"})
    assert not_mine.status_code == 403


async def test_deleted_posts_show_as_deleted_in_reposts(crowd: dict[str, Square]) -> None:
    author, other = crowd["author"], crowd["other"]
    post = await author.post("soon gone")
    repost = await other.repost(post["id"], "look at this")
    assert repost["reposted"]["available"] is True
    assert (await author.call("DELETE", f"/posts/{post['id']}")).status_code == 204
    assert (await other.see(post["id"])).status_code == 404
    after = (await other.see(repost["id"])).json()
    assert after["reposted"] == {"id": post["id"], "available": False, "post": None}


# Reposts


async def test_repost_chains_and_counts(crowd: dict[str, Square]) -> None:
    a, b, c, d = crowd["author"], crowd["follower"], crowd["stranger"], crowd["other"]
    root = await a.post("the original")
    rb = await b.repost(root["id"], "c2")
    rc = await c.repost(rb["id"], "c3")
    rd = await d.repost(rc["id"], "c4")
    assert rb["text"] == "c2"
    assert rc["text"] == "c3 //@follower: c2"
    assert rd["text"] == "c4 //@stranger: c3 //@follower: c2"
    for r in (rb, rc, rd):
        assert r["reposted"]["id"] == root["id"]
        assert r["reposted"]["post"]["text"] == "the original"
    assert (await a.see(root["id"])).json()["counts"]["reposts"] == 3  # every repost in the chain
    assert (await a.see(rb["id"])).json()["counts"]["reposts"] == 1
    plain = await b.repost(root["id"])
    assert plain["text"] == ""
    assert "repost" in await a.kinds()


async def test_only_visible_public_posts_can_be_reposted(crowd: dict[str, Square]) -> None:
    author, follower, stranger = crowd["author"], crowd["follower"], crowd["stranger"]
    await follower.follow(author)
    followers = await author.post("followers only", visibility="followers")
    r = await follower.call("POST", f"/posts/{followers['id']}/reposts", json={})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_repostable")
    hidden = await stranger.call("POST", f"/posts/{followers['id']}/reposts", json={})
    assert hidden.status_code == 404


# Comments and likes


async def test_threaded_comments(crowd: dict[str, Square]) -> None:
    author, b, c = crowd["author"], crowd["follower"], crowd["stranger"]
    post = await author.post("discuss")
    top = (await b.call("POST", f"/posts/{post['id']}/comments", json={"text": "first!"})).json()
    reply = (
        await c.call(
            "POST",
            f"/posts/{post['id']}/comments",
            json={"text": "agreed", "reply_to_id": top["id"]},
        )
    ).json()
    nested = (
        await b.call(
            "POST",
            f"/posts/{post['id']}/comments",
            json={"text": "thanks", "reply_to_id": reply["id"]},
        )
    ).json()
    assert (reply["thread_id"], reply["reply_to_id"]) == (top["id"], top["id"])
    assert (nested["thread_id"], nested["reply_to_id"]) == (top["id"], reply["id"])
    assert nested["reply_to_account"]["handle"] == "stranger"
    threads = (await author.call("GET", f"/posts/{post['id']}/comments")).json()["items"]
    assert [t["text"] for t in threads] == ["first!"]
    assert threads[0]["reply_count"] == 2
    assert [r["text"] for r in threads[0]["replies"]] == ["agreed", "thanks"]
    replies = (await author.call("GET", f"/comments/{top['id']}/replies")).json()["items"]
    assert sorted(r["text"] for r in replies) == ["agreed", "thanks"]
    assert (await author.see(post["id"])).json()["counts"]["comments"] == 3
    assert "reply" in await b.kinds()
    assert await author.kinds() == ["comment"] * 3  # every comment on their post
    assert await c.kinds() == ["reply"]  # b answered c


async def test_comment_and_also_repost(crowd: dict[str, Square]) -> None:
    author, b = crowd["author"], crowd["follower"]
    post = await author.post("share me")
    r = await b.call(
        "POST", f"/posts/{post['id']}/comments", json={"text": "sharing", "also_repost": True}
    )
    assert r.status_code == 201
    counts = (await author.see(post["id"])).json()["counts"]
    assert (counts["comments"], counts["reposts"]) == (1, 1)


async def test_likes_on_posts_and_comments(crowd: dict[str, Square]) -> None:
    author, b = crowd["author"], crowd["follower"]
    post = await author.post("like me")
    for _ in range(2):
        liked = (await b.call("POST", f"/posts/{post['id']}/like")).json()
    assert (liked["counts"]["likes"], liked["liked"]) == (1, True)
    unliked = (await b.call("DELETE", f"/posts/{post['id']}/like")).json()
    assert (unliked["counts"]["likes"], unliked["liked"]) == (0, False)
    comment = (
        await author.call("POST", f"/posts/{post['id']}/comments", json={"text": "x"})
    ).json()
    c = (await b.call("POST", f"/comments/{comment['id']}/like")).json()
    assert (c["like_count"], c["liked"]) == (1, True)
    assert "comment_like" in await author.kinds()


async def test_counts_are_exact_under_concurrency(
    people: Personas, crowd: dict[str, Square]
) -> None:
    author = crowd["author"]
    post = await author.post("popular")
    fans = [Square(people.client, await people.register(f"fan{i:02d}")) for i in range(20)]
    await asyncio.gather(*(f.call("POST", f"/posts/{post['id']}/like") for f in fans))
    await asyncio.gather(*(f.call("POST", f"/posts/{post['id']}/like") for f in fans[:10]))
    await asyncio.gather(*(f.call("POST", f"/posts/{post['id']}/reposts", json={}) for f in fans))
    await asyncio.gather(
        *(f.call("POST", f"/posts/{post['id']}/comments", json={"text": "!"}) for f in fans)
    )
    counts = (await author.see(post["id"])).json()["counts"]
    assert (counts["likes"], counts["reposts"], counts["comments"]) == (20, 20, 20)


async def test_likes_from_many_devices_at_once_count_once_each(
    people: Personas, crowd: dict[str, Square]
) -> None:
    author, fan = crowd["author"], crowd["follower"]
    post = await author.post("liked from everywhere")
    r = await author.call("POST", f"/posts/{post['id']}/comments", json={"text": "me first"})
    comment_id = r.json()["id"]
    devices = [fan] + [
        Square(people.client, await people.login("follower", device=f"phone {i}")) for i in range(5)
    ]
    others = [crowd["stranger"], crowd["mentioned"], crowd["other"]]
    results = await asyncio.gather(
        *(d.call("POST", f"/posts/{post['id']}/like") for d in devices + others),
        *(d.call("POST", f"/comments/{comment_id}/like") for d in devices + others),
    )
    assert {r.status_code for r in results} == {200}, [r.text for r in results]
    assert (await author.see(post["id"])).json()["counts"]["likes"] == 4
    threads = (await author.call("GET", f"/posts/{post['id']}/comments")).json()["items"]
    assert threads[0]["like_count"] == 4
    await asyncio.gather(*(d.call("DELETE", f"/comments/{comment_id}/like") for d in devices))
    threads = (await author.call("GET", f"/posts/{post['id']}/comments")).json()["items"]
    assert threads[0]["like_count"] == 3


async def test_views_count_each_viewer_once_a_day(app: FastAPI, crowd: dict[str, Square]) -> None:
    author, b, c = crowd["author"], crowd["follower"], crowd["stranger"]
    post = await author.post("seen")
    for _ in range(3):
        await b.see(post["id"])
    await c.timeline("/timelines/public")
    await app.state.services.views.flush()
    assert (await author.see(post["id"])).json()["counts"]["views"] == 2
    await app.state.services.views.flush()
    assert (await author.see(post["id"])).json()["counts"]["views"] == 2  # not the author


# Timelines


async def test_home_timeline_is_follows_and_own_newest_first(crowd: dict[str, Square]) -> None:
    author, follower, other = crowd["author"], crowd["follower"], crowd["other"]
    await follower.follow(author)
    for i in range(5):
        await author.post(f"a{i}")
    await other.post("not followed")
    await follower.post("mine")
    home = await follower.timeline("/timelines/home", limit=3)
    assert texts(home) == ["mine", "a4", "a3"]
    older = await follower.timeline("/timelines/home", limit=3, max_id=home[-1]["id"])
    assert texts(older) == ["a2", "a1", "a0"]
    newer = await follower.timeline("/timelines/home", limit=2, min_id=older[0]["id"])
    assert texts(newer) == ["a4", "a3"]
    await follower.call("DELETE", f"/accounts/{author.id}/follow")
    assert texts(await follower.timeline("/timelines/home")) == ["mine"]


async def test_public_account_and_topic_timelines(crowd: dict[str, Square]) -> None:
    author, other = crowd["author"], crowd["other"]
    await author.post("one #话题#")
    await other.post("two #话题")
    await author.post("three", visibility="followers")
    assert texts(await other.timeline("/timelines/public")) == ["two #话题", "one #话题#"]
    assert texts(await other.timeline(f"/accounts/{author.id}/posts")) == ["one #话题#"]
    topic = await other.call("GET", "/topics/话题/posts")
    assert topic.json()["topic"]["post_count"] == 2
    assert texts(topic.json()["items"]) == ["two #话题", "one #话题#"]
    missing = await other.call("GET", "/topics/nothing-here/posts")
    assert missing.status_code == 404


# Topics and trending


async def test_trending_counts_each_account_once_per_topic(
    app: FastAPI, people: Personas, crowd: dict[str, Square]
) -> None:
    from quanzi.domain.square.topics import refresh_trending

    spammer = crowd["other"]
    for i in range(10):
        await spammer.post(f"buy now #spam# {i}")
    fans = [Square(people.client, await people.register(f"reader{i}")) for i in range(4)]
    for fan in fans:
        await fan.post("#热点# 大家都在说")
    await fans[0].post("#小众#")
    await refresh_trending(app.state.services.db)
    ranked = (await spammer.call("GET", "/topics/trending")).json()["items"]
    names = [t["topic"]["name"] for t in ranked]
    assert names[0] == "热点"  # four accounts beat one account posting ten times
    assert names.index("spam") > 0
    assert ranked[0]["rank"] == 1 and ranked[0]["score"] > ranked[1]["score"]


# Communities


async def test_communities(crowd: dict[str, Square]) -> None:
    owner, member, mod, outsider = (
        crowd["author"],
        crowd["follower"],
        crowd["stranger"],
        crowd["other"],
    )
    made = await owner.call("POST", "/communities", json={"name": "摄影", "description": "拍照"})
    assert made.status_code == 201
    cid = made.json()["id"]
    assert (await outsider.call("POST", "/communities", json={"name": "摄影"})).status_code == 409
    refused = await outsider.call("POST", "/posts", json={"text": "hi", "community_id": cid})
    assert refused.json()["error"]["code"] == "not_a_member"
    for who in (member, mod):
        joined = await who.call("POST", f"/communities/{cid}/membership")
        assert joined.json()["my_role"] == "member"
    spam = await member.post("off topic", community_id=cid)
    good = await member.post("a photo", community_id=cid)
    assert (await mod.call("DELETE", f"/communities/{cid}/posts/{spam['id']}")).status_code == 403
    assert (await owner.call("PUT", f"/communities/{cid}/moderators/{mod.id}")).status_code == 204
    assert (await mod.call("DELETE", f"/communities/{cid}/posts/{spam['id']}")).status_code == 204
    assert texts(await outsider.timeline(f"/communities/{cid}/posts")) == ["a photo"]
    assert (await outsider.see(spam["id"])).status_code == 200  # still on its author's page
    info = (await outsider.call("GET", f"/communities/{cid}")).json()
    assert (info["member_count"], info["post_count"]) == (3, 1)
    assert good["community_id"] == cid
    assert (await member.call("DELETE", f"/communities/{cid}/membership")).status_code == 204
    assert (await owner.call("DELETE", f"/communities/{cid}/membership")).status_code == 409


# Search


async def test_search_in_chinese_and_english(crowd: dict[str, Square]) -> None:
    author, follower, stranger = crowd["author"], crowd["follower"], crowd["stranger"]
    await follower.follow(author)
    await author.post("我们在微信上聊天")
    await author.post("朋友圈很热闹")
    await author.post("Hello World from quanzi")
    await author.post("私密的微信消息", visibility="followers")

    async def found(who: Square, q: str) -> list[str]:
        r = await who.call("GET", "/search", params={"q": q, "type": "posts"})
        return sorted(texts(r.json()["posts"]))

    assert await found(stranger, "微信") == ["我们在微信上聊天"]
    assert await found(follower, "微信") == ["我们在微信上聊天", "私密的微信消息"]
    assert await found(stranger, "朋友") == ["朋友圈很热闹"]  # a word inside 朋友圈
    assert await found(stranger, "友圈") == []  # never across word boundaries
    assert await found(stranger, "HELLO world") == ["Hello World from quanzi"]
    assert await found(stranger, "hello 微信") == []  # every word must match
    everything = (await stranger.call("GET", "/search", params={"q": "author"})).json()
    assert [a["handle"] for a in everything["accounts"]] == ["author"]


async def test_a_very_common_word_is_ranked_among_its_newest_matches(
    crowd: dict[str, Square], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranking every match of a word that tens of thousands of posts hold is too slow on
    SQLite: there, the newest RANK_WINDOW matches are ranked (and a rarer word is not cut)."""
    monkeypatch.setattr("quanzi.db.search.RANK_WINDOW", 3)
    author, stranger = crowd["author"], crowd["stranger"]
    for i in range(5):
        await author.post(f"天气 第{i}天")
    await author.post("天气 天气 天气 很好")  # the best match, and the newest
    r = await stranger.call("GET", "/search", params={"q": "天气", "type": "posts"})
    found = texts(r.json()["posts"])
    assert found[0] == "天气 天气 天气 很好"
    if backend == "sqlite":
        assert sorted(found[1:]) == ["天气 第3天", "天气 第4天"]
    else:
        assert len(found) == 6
    rare = await stranger.call("GET", "/search", params={"q": "第0天", "type": "posts"})
    assert texts(rare.json()["posts"]) == ["天气 第0天"]


async def test_search_finds_topics(crowd: dict[str, Square]) -> None:
    author = crowd["author"]
    await author.post("#周末爬山#")
    await author.post("#周末读书#")
    r = await author.call("GET", "/search", params={"q": "周末", "type": "topics"})
    assert sorted(t["name"] for t in r.json()["topics"]) == ["周末爬山", "周末读书"]


# Media and erasure


async def test_images_of_followers_only_posts_are_for_followers(crowd: dict[str, Square]) -> None:
    author, follower, stranger = crowd["author"], crowd["follower"], crowd["stranger"]
    await follower.follow(author)
    image = await author.image()
    post = await author.post("", media_ids=[image], visibility="followers")
    described = f"/api/quanzi/v1/media/{image}"
    assert (await follower.c.get(described, headers=follower.user.auth)).status_code == 200
    assert (await stranger.c.get(described, headers=stranger.user.auth)).status_code == 404
    assert (await follower.see(post["id"])).json()["media"] == post["media"]
    assert (await stranger.see(post["id"])).status_code == 404
    assert (await load_file(follower.c, post["media"][0]["url"])).status_code == 200


async def test_erased_account_leaves_nothing_on_the_square(crowd: dict[str, Square]) -> None:
    from tests.helpers import PASSWORD

    author, other = crowd["author"], crowd["other"]
    theirs = await other.post("other's post")
    mine = await author.post("mine")
    await author.call("POST", f"/posts/{theirs['id']}/like")
    await author.call("POST", f"/posts/{theirs['id']}/comments", json={"text": "hi"})
    await author.c.request(
        "DELETE",
        "/api/quanzi/v1/accounts/me",
        json={"password": PASSWORD},
        headers=author.user.auth,
    )
    assert (await other.see(mine["id"])).status_code == 404
    counts = (await other.see(theirs["id"])).json()["counts"]
    assert (counts["likes"], counts["comments"]) == (0, 0)


async def test_new_posts_reach_connected_followers(live: str, crowd: dict[str, Square]) -> None:
    import json

    from websockets.asyncio.client import connect

    author, follower, stranger = crowd["author"], crowd["follower"], crowd["stranger"]
    await follower.follow(author)
    url = live.replace("http://", "ws://") + "/api/quanzi/v1/stream"
    sockets = {}
    for who in (follower, stranger):
        ws = await connect(url, additional_headers=who.user.auth)
        assert json.loads(await ws.recv())["type"] == "hello"
        sockets[who.user.handle] = ws
    post = await author.post("fresh")

    async def next_post(ws: Any) -> dict[str, Any] | None:
        try:
            async with asyncio.timeout(0.5):
                while True:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "post.new":
                        return dict(frame["payload"])
        except TimeoutError:
            return None

    assert await next_post(sockets["follower"]) == {"post_id": post["id"], "author_id": author.id}
    assert await next_post(sockets["stranger"]) is None
    for ws in sockets.values():
        await ws.close()


async def test_a_profile_counts_posts_and_reposts_at_once(crowd: dict[str, Square]) -> None:
    """The post count a profile shows follows each post, repost and deletion at once, also
    when the profile was just read (and so is cached)."""
    alice, bob = crowd["author"], crowd["follower"]

    async def count() -> int:
        r = await bob.call("GET", f"/accounts/{alice.id}")
        assert r.status_code == 200, r.text
        return int(r.json()["post_count"])

    assert await count() == 0
    first = await alice.post("one")
    assert await count() == 1
    await alice.repost((await bob.post("bob's"))["id"])
    assert await count() == 2
    r = await alice.call("DELETE", f"/posts/{first['id']}")
    assert r.status_code == 204
    assert await count() == 1
