"""Forwarding in a real browser, at phone and desktop sizes: multi-select three messages, forward
them as one chat record to another chat, and open the record there (its picture in the
viewer); axe finds nothing serious on the chat in multi-select, the card and the record."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewPerson
from tests.e2e.test_accessibility_e2e import AXE, FAILING, TAGS
from tests.e2e.test_chat_e2e import befriend, open_chat
from tests.e2e.test_chat_reading_e2e import post_messages


async def serious(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as it is now (run through the
    debugger, so the page's content security policy stays on)."""
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']}: {n['target']} {n.get('failureSummary', '')[:160]}"
        for v in result["violations"]
        if v["impact"] in FAILING
        for n in v["nodes"][:3]
    ]


DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_multi_select_and_forward_as_one_record(
    person: NewPerson, viewport: dict[str, int]
) -> None:
    alice = await person("alice", viewport=viewport)
    bob = await person("bob", viewport=viewport)
    cat = await person("cat", viewport=viewport)
    _, bob_id = await befriend(alice, bob)
    _, cat_id = await befriend(alice, cat)
    cat_chat = await open_chat(alice, cat_id)
    chat = await open_chat(alice, bob_id)
    await post_messages(
        bob, chat, [{"text": "first line"}, {"text": "", "picture": (400, 300)}, {"text": "third"}]
    )
    page = alice.page
    messages = page.locator("#messages > .msg")
    await expect(messages).to_have_count(3)

    first = messages.filter(has_text="first line")
    await first.locator(".bubble p").click(button="right", position={"x": 8, "y": 8})
    await page.locator("#msg-menu").get_by_role("menuitem", name="Multi-select").click()
    bar = page.locator("#select-bar")
    await expect(bar).to_be_visible()
    await expect(page.locator("#select-count")).to_have_text("1 selected")
    await messages.nth(1).click()  # a tap on the picture ticks it, and opens no viewer
    await messages.filter(has_text="third").locator(".msg-pick").check()
    await expect(page.locator("#select-count")).to_have_text("3 selected")
    await expect(page.locator(".pv")).to_have_count(0)
    assert await serious(page) == []
    await bar.get_by_role("button", name="Forward as one").click()

    await page.wait_for_url(f"**{chat}/forward?**")
    await expect(page.locator(".forwarded")).to_contain_text("As one chat record:")
    await page.locator(".row-link", has_text="Cat").click()
    await page.wait_for_url(f"**{cat_chat}")
    card = page.locator("#messages .record-card")
    await expect(card).to_contain_text("Chat history of Alice and Bob")
    await expect(card).to_contain_text("Bob: first line")
    await expect(card).to_contain_text("Bob: [Picture]")
    assert await serious(page) == []
    await card.click()

    await page.wait_for_url("**/record")
    items = page.locator(".record-item")
    await expect(items).to_have_count(3)
    await expect(items.nth(0)).to_contain_text("first line")
    await expect(items.nth(2)).to_contain_text("third")
    assert await serious(page) == []
    await items.nth(1).locator(".pg-cell").click()
    await expect(page.locator(".pv")).to_be_visible()
