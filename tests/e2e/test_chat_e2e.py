"""Chats in a real browser: live both ways without reloading, and catching up after the
WebSocket drops, with nothing missing and nothing twice on screen."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import WebSocketRoute, expect

from tests.e2e.conftest import NewPerson, Person
from tests.helpers import PASSWORD


async def token(person: Person) -> str:
    async with person.api() as api:
        r = await api.post(
            "/api/quanzi/v1/sessions", json={"login": person.handle, "password": PASSWORD}
        )
        return str(r.json()["token"])


async def befriend(one: Person, other: Person) -> tuple[str, str]:
    """Friends through the API (the contacts pages have their own test); returns both ids."""
    a, b = await token(one), await token(other)
    async with one.api() as api:
        me = (
            await api.get("/api/quanzi/v1/accounts/me", headers={"Authorization": f"Bearer {a}"})
        ).json()
        them = (
            await api.get("/api/quanzi/v1/accounts/me", headers={"Authorization": f"Bearer {b}"})
        ).json()
        r = await api.post(
            "/api/quanzi/v1/friend-requests",
            json={"account_id": them["id"], "greeting": "hi"},
            headers={"Authorization": f"Bearer {a}"},
        )
        if not r.json()["friends"]:
            await api.post(
                f"/api/quanzi/v1/friend-requests/{r.json()['request']['id']}/accept",
                json={},
                headers={"Authorization": f"Bearer {b}"},
            )
    return me["id"], them["id"]


async def open_chat(person: Person, other_id: str) -> str:
    """Opens the direct chat with someone; returns its path."""
    async with person.api() as api:
        r = await api.post(
            "/api/quanzi/v1/conversations/direct",
            json={"account_id": other_id},
            headers={"Authorization": f"Bearer {await token(person)}"},
        )
    path = f"/chats/{r.json()['id']}"
    await person.go(path)
    await expect(person.page.locator("body")).to_have_attribute("data-live", "true")
    return path


async def chat_between(one: Person, other: Person) -> str:
    """Two friends, both live on their direct chat (opened by the first); returns its path."""
    _, other_id = await befriend(one, other)
    chat = await open_chat(one, other_id)
    await other.go(chat)
    await expect(other.page.locator("body")).to_have_attribute("data-live", "true")
    return chat


async def say(person: Person, text: str) -> None:
    box = person.page.get_by_label("Message", exact=True)
    await box.fill(text)
    await box.press("Enter")


async def texts(person: Person) -> list[str]:
    return await person.page.locator("#messages .msg:not(.msg-system) .bubble p").all_inner_texts()


async def seqs(person: Person) -> list[int]:
    values = await person.page.locator("#messages > [data-seq]").evaluate_all(
        "items => items.map(i => Number(i.dataset.seq))"
    )
    return [int(v) for v in values]


async def test_two_people_chat_live_both_ways(person: NewPerson) -> None:
    alice, bob = await person("alice", "Alice"), await person("bob", "鲍勃")
    await chat_between(alice, bob)

    await say(alice, "你好，Bob！")
    await expect(bob.page.locator("#messages")).to_contain_text("你好，Bob！")
    await say(bob, "Hi Alice 👋")
    await expect(alice.page.locator("#messages")).to_contain_text("Hi Alice 👋")
    assert await texts(alice) == await texts(bob) == ["你好，Bob！", "Hi Alice 👋"]
    assert await seqs(alice) == await seqs(bob) == [1, 2]
    # The sender's text box is ready for the next message.
    assert await alice.page.get_by_label("Message", exact=True).input_value() == ""


async def test_chat_catches_up_after_the_websocket_drops(person: NewPerson) -> None:
    alice, bob = await person("alice"), await person("bob")
    _, bob_id = await befriend(alice, bob)
    sockets: list[WebSocketRoute] = []
    blocked = asyncio.Event()

    async def relay(ws: WebSocketRoute) -> None:
        if blocked.is_set():
            await ws.close(code=1012, reason="restarting")  # the server is "down"
            return
        ws.connect_to_server()
        sockets.append(ws)

    await alice.page.route_web_socket(re.compile(r".*/api/quanzi/v1/stream$"), relay)
    chat = await open_chat(alice, bob_id)
    await bob.go(chat)
    await say(bob, "before the drop")
    await expect(alice.page.locator("#messages")).to_contain_text("before the drop")

    blocked.set()
    await sockets[-1].close(code=1006, reason="network")  # the connection drops
    await expect(alice.page.locator("body")).to_have_attribute("data-live", "false")
    for i in range(5):
        await say(bob, f"missed {i}")
    await expect(bob.page.locator("#messages")).to_contain_text("missed 4")
    await asyncio.sleep(0.5)
    assert "missed 0" not in await alice.page.locator("#messages").inner_text()

    blocked.clear()  # the network is back: the page reconnects by itself and catches up
    await expect(alice.page.locator("#messages")).to_contain_text("missed 4", timeout=20_000)
    await expect(alice.page.locator("body")).to_have_attribute("data-live", "true")
    await say(bob, "after the drop")
    await expect(alice.page.locator("#messages")).to_contain_text("after the drop")
    print(await seqs(alice), await texts(alice), alice.errors)
    assert await seqs(alice) == list(range(1, 8))  # each once, in order
    assert await texts(alice) == [
        "before the drop",
        *(f"missed {i}" for i in range(5)),
        "after the drop",
    ]
