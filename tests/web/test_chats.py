"""The Chats tab over HTTP: list, chat page, sending through the form, recall, groups."""

from __future__ import annotations

import re

from tests.helpers import Personas
from tests.web.conftest import NewBrowser


def shown(html: str) -> list[int]:
    """The seqs of the messages in a page or fragment, in order."""
    return [int(seq) for seq in re.findall(r'<li class="msg[^"]*" id="m(\d+)"', html)]


async def befriend(people: Personas, a: str, b: str) -> tuple[str, str]:
    one, two = await people.login(a), await people.login(b)
    r = await people.client.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": two.id, "greeting": "hi"},
        headers=one.auth,
    )
    if not r.json()["friends"]:
        await people.client.post(
            f"/api/quanzi/v1/friend-requests/{r.json()['request']['id']}/accept",
            json={},
            headers=two.auth,
        )
    return one.id, two.id


async def test_chat_page_shows_history_and_sends_through_the_form(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    _, bob_id = await befriend(people, "alice", "bob")
    r = await alice.post(f"/chats/direct/{bob_id}")
    assert r.status_code == 303
    chat_url = r.headers["location"]
    html = await alice.page(chat_url)
    assert 'id="composer"' in html and "Bob" in html
    sent = await alice.post(
        f"{chat_url}/messages",
        {"client_msg_id": "web-1", "text": "<script>alert(1)</script> 你好", "after_seq": "0"},
        htmx=True,
    )
    assert sent.status_code == 200
    assert shown(sent.text) == [1]
    assert "&lt;script&gt;" in sent.text and "<script>alert" not in sent.text  # escaped
    again = await alice.post(
        f"{chat_url}/messages",
        {"client_msg_id": "web-1", "text": "<script>alert(1)</script> 你好", "after_seq": "0"},
        htmx=True,
    )
    assert shown(again.text) == [1]  # a retried send is the same message
    later = await alice.get(f"{chat_url}/messages", params={"after_seq": 1})
    assert shown(later.text) == []
    listing = await alice.page("/chats")
    assert "你好" in listing


async def test_recall_replaces_the_message_for_the_page(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    _, bob_id = await befriend(people, "alice", "bob")
    chat_url = (await alice.post(f"/chats/direct/{bob_id}")).headers["location"]
    await alice.post(
        f"{chat_url}/messages", {"client_msg_id": "r1", "text": "oops", "after_seq": "0"}, htmx=True
    )
    r = await alice.post(f"{chat_url}/messages/1/recall", {"after_seq": "1"}, htmx=True)
    assert r.status_code == 200
    assert 'hx-swap-oob="outerHTML"' in r.text and 'id="m1"' in r.text
    assert "oops" not in (await alice.page(chat_url))


async def test_errors_come_back_as_a_toast(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    r = await alice.post(
        "/chats/123456789/messages", {"client_msg_id": "x", "text": "hi"}, htmx=True
    )
    assert r.status_code == 404
    assert r.headers["HX-Retarget"] == "#toast" and "No such conversation" in r.text
    page = await alice.get("/chats/123456789")
    assert page.status_code == 404 and "No such conversation" in page.text


async def test_group_is_made_and_managed_from_the_pages(
    browser_for: NewBrowser, people: Personas
) -> None:
    owner = await browser_for("owner")
    for name in ("amy", "ben", "cat"):
        await browser_for(name)
    ids = [(await befriend(people, "owner", name))[1] for name in ("amy", "ben", "cat")]
    form = await owner.page("/chats/new/group")
    assert form.count('name="member_ids"') == 3
    r = await owner.post("/chats/new/group", {"name": "读书会", "member_ids": ids[:2]})
    assert r.status_code == 303
    chat_url = r.headers["location"]
    html = await owner.page(chat_url)
    assert "读书会" in html and "created the group" in html
    settings = await owner.page(f"{chat_url}/settings")
    assert "Make administrator" in settings and "Cat" in settings  # cat can be invited
    await owner.post(f"{chat_url}/members", {"account_ids": [ids[2]]})
    await owner.post(f"{chat_url}/members/{ids[0]}/role", {"role": "admin"})
    await owner.post(f"{chat_url}/settings", {"name": "读书会 2", "announcement": "周四见"})
    html = await owner.page(chat_url)
    assert "周四见" in html and "is now an administrator" in html and "invited" in html
    await owner.post(f"{chat_url}/members/{ids[1]}/remove")
    members = await owner.page(f"{chat_url}/settings")
    assert len(re.findall(r'href="/people/\d+"', members)) == 3  # owner, amy, cat


async def test_removed_member_sees_the_group_pages_as_they_were_when_removed(
    browser_for: NewBrowser, people: Personas
) -> None:
    owner = await browser_for("owner")
    bob = await browser_for("bob")
    _, bob_id = await befriend(people, "owner", "bob")
    made = await owner.post(
        "/chats/new/group", {"name": "读书会", "member_ids": [bob_id], "announcement": "周四见"}
    )
    chat_url = made.headers["location"]
    await owner.post(f"{chat_url}/members/{bob_id}/remove")
    await owner.post(f"{chat_url}/settings", {"name": "秘密小组", "announcement": "暗号是月亮"})
    assert "秘密小组" in await owner.page(chat_url)
    for url in ("/chats", chat_url, f"{chat_url}/settings"):
        html = await bob.page(url)
        assert "秘密小组" not in html and "暗号是月亮" not in html, url
    for url in ("/chats", chat_url):
        assert "读书会" in await bob.page(url), url
    assert "周四见" in await bob.page(chat_url)
