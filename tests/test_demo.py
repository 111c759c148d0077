"""The demo world a newcomer sees after `make run`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from quanzi.demo import DEMO_PASSWORD, seed


async def test_demo_world_is_alive(app: FastAPI, client: httpx.AsyncClient) -> None:
    seeded = await seed(app.state.services, only_if_empty=True)
    assert [p.handle for p in seeded] == ["xiaoming", "lilei", "hanmeimei", "alice", "bob"]
    assert await seed(app.state.services, only_if_empty=True) == []  # only once
    login = await client.post(
        "/api/v1/sessions", json={"login": "xiaoming", "password": DEMO_PASSWORD}
    )
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    me = (await client.get("/api/v1/accounts/me", headers=auth)).json()
    assert me["avatar_url"] and me["bio"]
    friends = (await client.get("/api/v1/friends", headers=auth)).json()["items"]
    assert {f["account"]["handle"] for f in friends} == {"lilei", "hanmeimei", "alice"}
    labels = (await client.get("/api/v1/labels", headers=auth)).json()["items"]
    assert labels[0]["name"] == "同学" and len(labels[0]["member_ids"]) == 2
    chats = (await client.get("/api/v1/conversations", headers=auth)).json()["items"]
    kinds = sorted(c["kind"] for c in chats)
    assert kinds == ["direct", "group"]
    group = next(c for c in chats if c["kind"] == "group")
    assert group["member_count"] == 4 and group["last_message"]["text"]
    assert group["announcement"]
    direct = next(c for c in chats if c["kind"] == "direct")
    assert direct["peer"]["handle"] == "lilei" and direct["last_seq"] == 4
    assert me["followers_count"] == 2
