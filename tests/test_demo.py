"""The demo world a newcomer sees after `make run`."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from quanzi.demo import DEMO_PASSWORD, FRIENDS, PEOPLE, seed
from tests.web_helpers import WebUser


async def test_demo_world_is_alive(app: FastAPI, client: httpx.AsyncClient) -> None:
    seeded = await seed(app.state.services, only_if_empty=True)
    assert [p.handle for p in seeded] == ["xiaoming", "lilei", "hanmeimei", "alice", "bob"]
    assert await seed(app.state.services, only_if_empty=True) == []  # only once
    login = await client.post(
        "/api/quanzi/v1/sessions", json={"login": "xiaoming", "password": DEMO_PASSWORD}
    )
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    me = (await client.get("/api/quanzi/v1/accounts/me", headers=auth)).json()
    assert me["avatar_url"] and me["bio"]
    friends = (await client.get("/api/quanzi/v1/friends", headers=auth)).json()["items"]
    assert {f["account"]["handle"] for f in friends} == {"lilei", "hanmeimei", "alice"}
    labels = (await client.get("/api/quanzi/v1/labels", headers=auth)).json()["items"]
    assert labels[0]["name"] == "同学" and len(labels[0]["member_ids"]) == 2
    chats = (await client.get("/api/quanzi/v1/conversations", headers=auth)).json()["items"]
    kinds = sorted(c["kind"] for c in chats)
    assert kinds == ["direct", "group"]
    group = next(c for c in chats if c["kind"] == "group")
    assert group["member_count"] == 4 and group["last_message"]["text"]
    assert group["announcement"]
    direct = next(c for c in chats if c["kind"] == "direct")
    assert direct["peer"]["handle"] == "lilei" and direct["last_seq"] == 4
    assert me["followers_count"] == 2


async def test_demo_world_has_moments_and_a_square(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed(app.state.services, only_if_empty=True)

    async def auth(handle: str) -> dict[str, str]:
        r = await client.post(
            "/api/quanzi/v1/sessions", json={"login": handle, "password": DEMO_PASSWORD}
        )
        return {"Authorization": f"Bearer {r.json()['token']}"}

    lilei = await auth("lilei")
    feed = (await client.get("/api/quanzi/v1/moments", headers=lilei)).json()["items"]
    hike = next(m for m in feed if "香山" in m["text"])
    assert hike["media"] and hike["location"]
    commenters = {c["author"]["handle"] for c in hike["comments"]}
    assert commenters == {"hanmeimei", "lilei", "xiaoming"}  # alice is no friend of lilei's
    assert {a["handle"] for a in hike["likes"]} == {"lilei", "hanmeimei"}
    # The label-only Moment reaches the classmates, not alice.
    alice = await auth("alice")
    alice_feed = (await client.get("/api/quanzi/v1/moments", headers=alice)).json()["items"]
    assert not any("同学" in m["text"] for m in alice_feed)
    assert any("同学" in m["text"] for m in feed)

    home = (await client.get("/api/quanzi/v1/timelines/home", headers=lilei)).json()["items"]
    chain = next(p for p in home if p["author"]["handle"] == "lilei" and p["reposted"])
    assert chain["reposted"]["post"]["author"]["handle"] == "xiaoming"
    public = (await client.get("/api/quanzi/v1/timelines/public")).json()["items"]
    assert any("//@lilei:" in p["text"] for p in public)
    topic = (await client.get("/api/quanzi/v1/topics/读书")).json()
    assert topic["post_count"] == 2


async def test_demo_remarks_are_ones_people_give(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A remark names the friend it is for as its owner knows them, never after another demo
    account (alice's remark for xiaoming once was "Alice": his posts looked like hers), and it
    is shown where its owner sees that friend."""
    await seed(app.state.services, only_if_empty=True)
    names = {p.handle: p.display_name for p in PEOPLE}
    ids: dict[str, str] = {}
    remarks: dict[tuple[str, str], str] = {}
    for handle in names:
        web = WebUser(client)
        await web.log_in(handle, DEMO_PASSWORD)
        friends = (await web.c.get("/api/quanzi/v1/friends")).json()["items"]
        for friend in friends:
            ids[friend["account"]["handle"]] = friend["account"]["id"]
            if friend["remark"]:
                remarks[(handle, friend["account"]["handle"])] = friend["remark"]
        for (owner, friend), remark in remarks.items():
            if owner == handle:  # shown on the friend's profile, as the owner sees it
                page = await web.page(f"/people/{ids[friend]}")
                assert remark in page and f"Name: {names[friend]}" in page
        await web.close()
    assert remarks == {(asker, asked): remark for asker, asked, _, remark in FRIENDS if remark}
    for (_, friend), remark in remarks.items():
        for other, name in names.items():
            if other != friend:
                assert name.casefold() not in remark.casefold(), (friend, remark, name)
                assert other not in remark.casefold(), (friend, remark, other)
    # alice sees xiaoming's posts on the square under her remark for him.
    alice = WebUser(client)
    await alice.log_in("alice", DEMO_PASSWORD)
    square = await alice.page("/square")
    authors = re.findall(
        rf'class="sq-post-author"[^>]*href="/people/{ids["xiaoming"]}">([^<]*)<', square
    )
    assert authors and set(authors) == {"Xiaoming (design team)"}
    await alice.close()
