"""quanzi on a desktop (1366×900): the list column beside an open chat and a profile, keyboard
shortcuts (next / previous chat, search, the help), Enter sends and Shift+Enter breaks the line,
the composer focused when a chat opens; on a phone (390×844) one pane, as before."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.conftest import NewPerson, Person
from tests.e2e.test_chat_e2e import befriend, open_chat, say

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


async def two_chats(person: NewPerson, viewport: dict[str, int]) -> tuple[Person, str, str]:
    """Alice with a chat with Bob and one with Carol (Bob's the newer); returns their paths."""
    alice = await person("alice", "Alice", viewport=viewport)
    bob = await person("bob", "Bob", viewport=viewport)
    carol = await person("carol", "Carol", viewport=viewport)
    _, bob_id = await befriend(alice, bob)
    _, carol_id = await befriend(alice, carol)
    with_carol = await open_chat(alice, carol_id)
    await say(alice, "hello carol")
    await expect(alice.page.locator("#messages .bubble p", has_text="hello carol")).to_be_visible()
    with_bob = await open_chat(alice, bob_id)
    await say(alice, "hello bob")
    await expect(alice.page.locator("#messages .bubble p", has_text="hello bob")).to_be_visible()
    return alice, with_bob, with_carol


async def test_a_chat_opens_beside_the_chat_list_and_the_keyboard_moves_between_chats(
    person: NewPerson,
) -> None:
    alice, with_bob, with_carol = await two_chats(person, DESKTOP)
    page = alice.page
    await alice.go(with_bob)
    side, main = page.locator("#side"), page.locator("#main")
    await expect(side).to_be_visible()
    await expect(side.locator("a[aria-current=page]")).to_have_attribute("href", with_bob)
    left, right = await side.bounding_box(), await main.bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"] + 1
    assert left["width"] < 400 and right["width"] > 800
    for pane in (left, right):  # both on screen, side by side
        assert pane["y"] < DESKTOP["height"] / 2 < pane["y"] + pane["height"]

    # the composer is ready; Shift+Enter breaks the line, Enter sends
    box = page.locator("#message-text")
    await expect(box).to_be_focused()
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await expect(box).to_have_value("first line\nsecond line")
    await page.keyboard.press("Enter")
    await expect(box).to_have_value("")
    sent = page.locator("#messages .bubble p", has_text="second line")
    await expect(sent).to_have_text("first line\nsecond line")

    # Alt+ArrowDown opens the next chat in the list, Alt+ArrowUp the one before; back works
    await page.keyboard.press("Alt+ArrowDown")
    await page.wait_for_url("**" + with_carol)
    await expect(page.locator("#side a[aria-current=page]")).to_have_attribute("href", with_carol)
    await expect(page.locator("#message-text")).to_be_focused()
    await page.keyboard.press("Alt+ArrowUp")
    await page.wait_for_url("**" + with_bob)
    await page.go_back()
    await page.wait_for_url("**" + with_carol)
    await expect(page.locator("#messages .bubble p", has_text="hello carol")).to_be_visible()

    # clicking a chat in the list opens it on the right
    await page.locator("#side a.row-link", has_text="Bob").click()
    await page.wait_for_url("**" + with_bob)
    await expect(page.locator("#main h1")).to_contain_text("Bob")

    # Ctrl+K searches the list; "?" shows the shortcuts, Escape closes them
    await page.keyboard.press("Control+k")
    search = page.locator("#chats-filter")
    await expect(search).to_be_focused()
    await page.keyboard.type("caro")
    await expect(page.locator("#side li[data-conversation]:visible")).to_have_count(1)
    await expect(page.locator("#side li[data-conversation]:visible")).to_contain_text("Carol")
    await page.keyboard.press("Alt+ArrowDown")  # the next chat of those shown
    await page.wait_for_url("**" + with_carol)
    await page.locator("#main h1").click()
    await page.keyboard.press("?")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help).to_be_visible()
    await expect(help).to_contain_text("Next chat / previous chat")
    await page.keyboard.press("Escape")
    await expect(help).to_be_hidden()
    await page.keyboard.press("/")
    await expect(page.locator("#chats-filter")).to_be_focused()


async def test_a_profile_opens_beside_the_contact_list(person: NewPerson) -> None:
    alice = await person("alice", "Alice", viewport=DESKTOP)
    bob = await person("bob", "Bob", viewport=DESKTOP)
    await befriend(alice, bob)
    await alice.go("/contacts")
    page = alice.page
    await page.locator("#friends a.row-link", has_text="Bob").click()
    await page.wait_for_url("**/people/*")
    side = page.locator("#side")
    await expect(side.locator("#friends")).to_be_visible()
    await expect(side.locator("#friends a[aria-current=page]")).to_contain_text("Bob")
    await expect(page.locator("#main #profile-name")).to_have_text("Bob")
    left, right = await side.bounding_box(), await page.locator("#main").bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"] + 1


async def test_on_a_phone_one_pane_at_a_time(person: NewPerson) -> None:
    alice, with_bob, _ = await two_chats(person, PHONE)
    page = alice.page
    await alice.go(with_bob)
    await expect(page.locator("#side")).to_be_hidden()
    await expect(page.locator("#message-text")).not_to_be_focused()  # no keyboard over the chat
    main = await page.locator("#main").bounding_box()
    assert main and main["x"] == 0 and main["width"] == PHONE["width"]
    await alice.go("/chats")
    await expect(page.locator("#side")).to_have_count(0)
    main = await page.locator("#main").bounding_box()
    assert main and main["width"] == PHONE["width"]
    await expect(page.locator(".shortcuts-open")).to_be_hidden()
