"""The frame around every page in a real browser: the count of what waits in the title, kept
live; the service worker, which keeps nothing personal and shows the offline page when the
network is gone (docs/web.md)."""

from __future__ import annotations

import re

import orjson
from playwright.async_api import expect

from quanzi.web.static import STATIC_VERSION
from tests.e2e.conftest import NewPerson, Person
from tests.e2e.test_chat_e2e import befriend, open_chat, say

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      urls.push(url.pathname + url.search);
    }
  }
  return urls;
}"""


async def test_title_counts_unread_messages_live(person: NewPerson) -> None:
    alice, bob = await person("alice", "Alice"), await person("bob", "Bob")
    _, bob_id = await befriend(alice, bob)
    chat = await open_chat(alice, bob_id)
    await bob.go(chat)
    await alice.go("/me/notifications")  # Bob accepted: seen
    await alice.go("/discover")
    await expect(alice.page).to_have_title("Discover · quanzi")
    await expect(alice.page.locator("body")).to_have_attribute("data-live", "true")

    await say(bob, "one")
    await expect(alice.page).to_have_title("(1) Discover · quanzi")
    await say(bob, "two")
    await expect(alice.page).to_have_title("(2) Discover · quanzi")
    await alice.go(chat)  # reading the chat clears the count, here and on the next page
    await expect(alice.page.locator("#messages")).to_contain_text("two")
    await expect(alice.page).not_to_have_title(re.compile(r"^\("))
    await alice.go("/discover")
    await expect(alice.page).to_have_title("Discover · quanzi")


async def cached(someone: Person) -> list[str]:
    return list(await someone.page.evaluate(CACHED_URLS))


async def test_service_worker_registers_keeps_no_personal_page_and_shows_offline(
    person: NewPerson,
) -> None:
    alice = await person("alice", "Alice")
    await alice.go("/chats")
    await expect(alice.page.locator("body")).to_have_attribute("data-service-worker", "registered")
    scope = await alice.page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == alice.base + "/"
    for path in ("/me", "/contacts", "/me/notifications", "/chats"):
        await alice.go(path)
        await alice.page.wait_for_load_state("networkidle")
    urls = await cached(alice)
    assert "/offline" in urls and f"/static/app.css?v={STATIC_VERSION}" in urls
    personal = [u for u in urls if u != "/offline" and not u.endswith(f"?v={STATIC_VERSION}")]
    assert personal == [], personal

    before = len(alice.errors)
    await alice.context.set_offline(True)
    await alice.page.goto(alice.base + "/contacts")
    await expect(alice.page.locator("h1")).to_have_text("You are offline")
    await expect(alice.page.locator("#offline")).to_contain_text("你已离线")
    # shell.js has run on the offline page (it listens for the network to come back)
    await expect(alice.page.locator("body")).to_have_attribute("data-service-worker", "registered")
    await alice.context.set_offline(False)  # back online: the page loads again by itself
    await expect(alice.page.locator("body")).to_have_attribute("data-view", re.compile("contacts"))
    # what failed to load while the network was off is what should have failed; nothing else
    offline = alice.errors[before:]
    alice.errors[before:] = [e for e in offline if "net::ERR_INTERNET_DISCONNECTED" not in e]


async def test_service_worker_shows_a_push_as_the_server_worded_it(person: NewPerson) -> None:
    """A push as the browser's push service hands it over (Chromium's DevTools protocol
    delivers it to the worker; the server's sealing and sending have their own tests)."""
    alice = await person("alice", "Alice")
    await alice.context.grant_permissions(["notifications"], origin=alice.base)
    await alice.go("/discover")
    await expect(alice.page.locator("body")).to_have_attribute("data-service-worker", "registered")
    await alice.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = await alice.context.new_cdp_session(alice.page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(
            r["registrationId"] for r in e["registrations"] if r["scopeURL"] == alice.base + "/"
        ),
    )
    await cdp.send("ServiceWorker.enable")
    for _ in range(150):  # the event comes as soon as the protocol is enabled
        if registrations:
            break
        await alice.page.wait_for_timeout(100)
    assert registrations
    payload = {
        "kind": "message",
        "url": "/me/notifications",
        "tag": "chat-1",
        "title": "圈子",
        "body": "你有一条新消息",
    }
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": alice.base + "/",
            "registrationId": registrations[0],
            "data": orjson.dumps(payload).decode(),
        },
    )
    await alice.page.wait_for_function(
        "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0"
    )
    shown = await alice.page.evaluate(
        """() => navigator.serviceWorker.ready
          .then((r) => r.getNotifications())
          .then((list) => list.map((n) => [n.title, n.body, n.tag, n.data.url]))"""
    )
    assert shown == [["圈子", "你有一条新消息", "chat-1", "/me/notifications"]]
