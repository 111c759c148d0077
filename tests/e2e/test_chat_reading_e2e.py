"""Reading and writing a chat in a real browser, at phone and desktop sizes: the chat opens on
the newest message (also when pictures load after the page), the message menu by right click
and by keyboard, recalling and re-editing, and a message written offline that goes once the
browser is back online."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from playwright.async_api import Route, expect

from tests.e2e.conftest import NewPerson, Person
from tests.e2e.test_chat_e2e import befriend, chat_between, open_chat, say, seqs, texts, token
from tests.helpers import encode, picture

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


async def post_messages(person: Person, chat: str, items: list[dict[str, Any]]) -> None:
    """Messages sent through the API (a picture: {"picture": (width, height)})."""
    auth = {"Authorization": f"Bearer {await token(person)}"}
    conversation = chat.rsplit("/", 1)[1]
    async with person.api() as api:
        for item in items:
            body: dict[str, Any] = {"client_msg_id": uuid4().hex, "text": item.get("text", "")}
            if "picture" in item:
                image = encode(picture(item["picture"]), "PNG")
                r = await api.post(
                    "/api/quanzi/v1/media", files={"file": ("p.png", image)}, headers=auth
                )
                assert r.status_code == 201, r.text
                body["media_id"] = r.json()["id"]
            r = await api.post(
                f"/api/quanzi/v1/conversations/{conversation}/messages", json=body, headers=auth
            )
            assert r.status_code in (200, 201), r.text


async def stored_texts(person: Person, chat: str) -> list[str]:
    auth = {"Authorization": f"Bearer {await token(person)}"}
    conversation = chat.rsplit("/", 1)[1]
    async with person.api() as api:
        r = await api.get(f"/api/quanzi/v1/conversations/{conversation}/messages", headers=auth)
    return [m["text"] for m in r.json()["items"] if m["kind"] == "text"]


def offline_only(someone: Person) -> None:
    """Drops the browser's own reports of requests that failed because the test cut the
    network or answered with an error; anything else still fails the test."""
    someone.errors[:] = [e for e in someone.errors if not e.startswith("Failed to load resource")]


@SIZES
async def test_a_chat_opens_on_the_newest_message_with_pictures_loading_late(
    person: NewPerson, viewport: dict[str, int]
) -> None:
    alice = await person("alice", viewport=viewport)
    bob = await person("bob", viewport=viewport)
    _, bob_id = await befriend(alice, bob)
    chat = await open_chat(alice, bob_id)
    items: list[dict[str, Any]] = []
    for i in range(14):
        items.append({"text": f"line {i}"})
        if i % 4 == 0:
            items.append({"picture": (600, 800)})
    items.append({"text": "the newest"})
    await post_messages(bob, chat, items)

    released = asyncio.Event()

    async def late(route: Route) -> None:  # pictures arrive after the page has settled
        await released.wait()
        await route.continue_()

    await alice.page.route("**/media/**", late)
    await alice.go(chat)
    newest = alice.page.locator("#messages .msg", has_text="the newest")
    await expect(newest).to_be_in_viewport()
    released.set()
    await alice.page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#messages img.picture'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    await expect(newest).to_be_in_viewport()
    composer = await alice.page.locator("#composer").bounding_box()
    last = await newest.bounding_box()
    assert composer and last and last["y"] + last["height"] <= composer["y"] + 1
    # On a phone the chat has the whole screen: no tab bar, the composer at the very bottom.
    tabs = alice.page.locator(".tabs")
    if viewport == PHONE:
        await expect(tabs).to_be_hidden()
        assert abs(composer["y"] + composer["height"] - PHONE["height"]) <= 1
    else:
        await expect(tabs).to_be_visible()
    # Scrolled up, the reader stays where they are when a message comes.
    await alice.page.mouse.wheel(0, -3000)
    await alice.page.wait_for_function(
        "() => window.scrollY < document.scrollingElement.scrollHeight - innerHeight - 200"
    )
    await post_messages(bob, chat, [{"text": "while scrolled up"}])
    await expect(alice.page.locator("#messages")).to_contain_text("while scrolled up")
    await expect(
        alice.page.locator("#messages .msg", has_text="while scrolled up")
    ).not_to_be_in_viewport()


@SIZES
async def test_message_menu_by_right_click_and_keyboard(
    person: NewPerson, viewport: dict[str, int]
) -> None:
    alice = await person("alice", viewport=viewport)
    bob = await person("bob", "鲍勃", viewport=viewport)
    _, bob_id = await befriend(alice, bob)
    chat = await open_chat(alice, bob_id)
    await post_messages(bob, chat, [{"text": "from bob https://example.com/x"}])
    await say(alice, "from alice")
    await expect(alice.page.locator("#messages")).to_contain_text("from alice")
    page = alice.page
    menu = page.locator("#msg-menu")
    link = page.locator("#messages a[href='https://example.com/x']")
    await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    await expect(link).to_have_attribute("target", "_blank")

    # Right click on someone else's message: Reply and Copy, no Recall.
    theirs = page.locator("#messages .msg", has_text="from bob").first
    await theirs.locator(".bubble p").click(button="right", position={"x": 8, "y": 8})
    await expect(menu).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="Reply")).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="Copy")).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="Recall")).to_be_hidden()
    await menu.get_by_role("menuitem", name="Reply").click()
    await expect(menu).to_be_hidden()
    await expect(page.locator("#replying")).to_be_visible()
    await expect(page.locator("#replying-text")).to_have_text("from bob https://example.com/x")
    await say(alice, "a reply")
    reply = page.locator("#messages .msg", has_text="a reply")
    await expect(reply.locator(".quote")).to_have_text("鲍勃: from bob https://example.com/x")

    # The keyboard: Shift+F10 on a focused message of mine opens the menu on its first item;
    # arrows move, Escape closes and gives the focus back; Enter opens it too.
    mine = page.locator("#messages .msg", has_text="from alice")
    await mine.focus()
    await page.keyboard.press("Shift+F10")
    await expect(menu).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="Reply")).to_be_focused()
    await expect(menu.get_by_role("menuitem", name="Recall")).to_be_visible()
    await page.keyboard.press("ArrowDown")
    await expect(menu.get_by_role("menuitem", name="Copy")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(mine).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(menu).to_be_visible()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")  # Copy
    await expect(menu).to_be_hidden()
    await expect(page.locator("#copied")).to_have_text("Copied")
    # A long press (touch) opens it too.
    await page.keyboard.press("Escape")
    await theirs.locator(".bubble p").dispatch_event(
        "pointerdown", {"pointerType": "touch", "isPrimary": True, "clientX": 60, "clientY": 60}
    )
    await expect(menu).to_be_visible()
    await theirs.locator(".bubble p").dispatch_event("pointerup", {"pointerType": "touch"})
    await expect(menu.get_by_role("menuitem", name="Recall")).to_be_hidden()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    # No row of time / Reply / Recall under the bubbles: one time above them.
    await expect(page.locator("#messages .msg-tools")).to_have_count(0)
    await expect(page.locator("#messages .time-sep")).to_have_count(1)
    # Forward: the menu leads to a list of my chats; choosing one sends a copy there.
    await theirs.locator(".bubble p").click(button="right", position={"x": 8, "y": 8})
    await menu.get_by_role("menuitem", name="Forward").click()
    await page.wait_for_url("**/forward")
    await page.get_by_role("button", name="鲍勃").click()
    await page.wait_for_url(f"**{chat}")
    await expect(page.locator("#messages .msg.mine .bubble > p").last).to_have_text(
        "from bob https://example.com/x"
    )


async def test_recall_leaves_one_notice_and_the_recaller_can_edit_again(
    person: NewPerson,
) -> None:
    alice = await person("alice", "Alice", viewport=DESKTOP)
    bob = await person("bob")
    await chat_between(alice, bob)
    await say(alice, "meet at 7, not 8")
    mine = alice.page.locator("#messages .msg", has_text="meet at 7")
    await expect(mine).to_be_visible()
    await expect(bob.page.locator("#messages")).to_contain_text("meet at 7")

    await mine.locator(".bubble").click(button="right")
    await alice.page.locator("#msg-menu").get_by_role("menuitem", name="Recall").click()
    notice = alice.page.locator("#messages .msg-system")
    await expect(notice).to_have_count(1)
    await expect(notice).to_contain_text("You recalled a message")
    await expect(bob.page.locator("#messages .msg-system")).to_have_text(
        ["Alice recalled a message"]
    )
    await expect(bob.page.locator("#messages")).not_to_contain_text("meet at 7")

    await notice.get_by_role("button", name="Re-edit").click()
    await expect(alice.page.get_by_label("Message", exact=True)).to_have_value("meet at 7, not 8")
    await alice.page.reload()  # the same tab keeps it for a few minutes
    await expect(
        alice.page.locator("#messages .msg-system").get_by_role("button", name="Re-edit")
    ).to_be_visible()
    await expect(bob.page.locator("#messages .msg-system").get_by_role("button")).to_have_count(0)


async def test_a_message_written_offline_is_pending_then_delivered_once(
    person: NewPerson,
) -> None:
    alice = await person("alice")
    bob = await person("bob")
    chat = await chat_between(alice, bob)
    await say(alice, "before")
    await expect(bob.page.locator("#messages")).to_contain_text("before")

    await alice.context.set_offline(True)
    await say(alice, "written offline")
    waiting = alice.page.locator("#pending .msg", has_text="written offline")
    await expect(waiting).to_be_visible()
    await expect(waiting).to_have_class("msg mine pending")
    await expect(waiting.locator(".send-state")).to_have_text("Sending…")
    await say(alice, "second offline")
    await expect(alice.page.locator("#pending .msg")).to_have_count(2)
    assert await stored_texts(bob, chat) == ["before"]

    await alice.context.set_offline(False)
    await expect(alice.page.locator("#pending .msg")).to_have_count(0)
    await expect(bob.page.locator("#messages")).to_contain_text("second offline")
    assert await texts(alice) == ["before", "written offline", "second offline"]
    assert await seqs(alice) == [1, 2, 3]
    assert await texts(bob) == ["before", "written offline", "second offline"]
    assert await stored_texts(bob, chat) == ["before", "written offline", "second offline"]
    offline_only(alice)


async def test_a_refused_send_shows_failed_and_resends_on_tap(person: NewPerson) -> None:
    alice = await person("alice")
    bob = await person("bob")
    _, bob_id = await befriend(alice, bob)
    chat = await open_chat(alice, bob_id)
    refuse = True

    async def flaky(route: Route) -> None:  # the first attempts meet a server error
        if refuse and route.request.method == "POST":
            await route.fulfill(status=503, body="", content_type="text/html")
        else:
            await route.continue_()

    await alice.page.route(f"**{chat}/messages", flaky)
    await say(alice, "try me")
    failed = alice.page.locator("#pending .msg.failed", has_text="try me")
    await expect(failed).to_be_visible()
    await expect(failed.locator(".send-state")).to_have_text("Not sent. Tap to send again.")
    refuse = False
    await failed.locator(".send-state").click()
    await expect(alice.page.locator("#pending .msg")).to_have_count(0)
    assert await texts(alice) == ["try me"]
    assert await stored_texts(bob, chat) == ["try me"]
    offline_only(alice)
