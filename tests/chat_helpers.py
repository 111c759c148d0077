"""Chats as a user sees them through the API."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.helpers import Personas, User, encode, picture

_ids = itertools.count(1)


class Chat:
    def __init__(self, client: httpx.AsyncClient, user: User) -> None:
        self.c = client
        self.user = user

    @property
    def id(self) -> str:
        return self.user.id

    async def befriend(self, other: Chat) -> None:
        sent = await self.c.post(
            "/api/quanzi/v1/friend-requests",
            json={"account_id": other.id, "greeting": "hi"},
            headers=self.user.auth,
        )
        assert sent.status_code == 201, sent.text
        if not sent.json()["friends"]:
            r = await other.c.post(
                f"/api/quanzi/v1/friend-requests/{sent.json()['request']['id']}/accept",
                json={},
                headers=other.user.auth,
            )
            assert r.status_code == 200, r.text

    async def direct(self, other: Chat) -> httpx.Response:
        return await self.c.post(
            "/api/quanzi/v1/conversations/direct",
            json={"account_id": other.id},
            headers=self.user.auth,
        )

    async def direct_id(self, other: Chat) -> str:
        r = await self.direct(other)
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    async def group(self, *members: Chat, name: str = "群聊", **extra: Any) -> httpx.Response:
        body = {"name": name, "member_ids": [m.id for m in members], **extra}
        return await self.c.post(
            "/api/quanzi/v1/conversations/group", json=body, headers=self.user.auth
        )

    async def group_id(self, *members: Chat, **extra: Any) -> str:
        r = await self.group(*members, **extra)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def send(
        self,
        conversation_id: str,
        text: str = "你好",
        *,
        client_msg_id: str | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = {"client_msg_id": client_msg_id or f"c{next(_ids)}", "text": text, **extra}
        return await self.c.post(
            f"/api/quanzi/v1/conversations/{conversation_id}/messages",
            json=body,
            headers=self.user.auth,
        )

    async def say(self, conversation_id: str, text: str = "你好", **extra: Any) -> dict[str, Any]:
        r = await self.send(conversation_id, text, **extra)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def messages(self, conversation_id: str, **params: Any) -> httpx.Response:
        return await self.c.get(
            f"/api/quanzi/v1/conversations/{conversation_id}/messages",
            params=params,
            headers=self.user.auth,
        )

    async def texts(self, conversation_id: str, **params: Any) -> list[str]:
        r = await self.messages(conversation_id, **params)
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["items"] if m["kind"] in ("text", "image")]

    async def events(self, conversation_id: str) -> list[str]:
        r = await self.messages(conversation_id, limit=500)
        return [m["system"]["event"] for m in r.json()["items"] if m["kind"] == "system"]

    async def conversation(self, conversation_id: str) -> httpx.Response:
        return await self.c.get(
            f"/api/quanzi/v1/conversations/{conversation_id}", headers=self.user.auth
        )

    async def conversations(self, **params: Any) -> dict[str, Any]:
        r = await self.c.get("/api/quanzi/v1/conversations", params=params, headers=self.user.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def unread(self) -> dict[str, Any]:
        r = await self.c.get("/api/quanzi/v1/conversations/unread", headers=self.user.auth)
        return dict(r.json())

    async def read(self, conversation_id: str, seq: int) -> httpx.Response:
        return await self.c.post(
            f"/api/quanzi/v1/conversations/{conversation_id}/read",
            json={"seq": seq},
            headers=self.user.auth,
        )

    async def upload(self) -> str:
        """A picture uploaded through the API; returns its media id."""
        r = await self.c.post(
            "/api/quanzi/v1/media",
            files={"file": ("p.png", encode(picture(), "PNG"))},
            headers=self.user.auth,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.c.request(
            method, f"/api/quanzi/v1{path}", headers=self.user.auth, **kwargs
        )


async def people_with_chat(people: Personas, *handles: str) -> list[Chat]:
    return [Chat(people.client, await people.register(h)) for h in handles]


async def chat_mentions(who: Chat) -> list[dict[str, Any]]:
    """Who's notifications of being mentioned in a chat (a mention or @all)."""
    items = (await who.call("GET", "/notifications")).json()["items"]
    return [n for n in items if n["kind"] == "chat_mention"]
