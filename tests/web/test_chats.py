"""The Chats tab over HTTP: list, chat page, sending through the form, recall, groups."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from tests.helpers import Personas, encode, picture
from tests.web.conftest import NewBrowser
from tests.web_helpers import WebUser, media_images


def shown(html: str) -> list[int]:
    """The seqs of the messages in a page or fragment, in order."""
    return [int(seq) for seq in re.findall(r'<li class="msg[^"]*" id="m(\d+)"', html)]


def notices(html: str) -> list[str]:
    """The texts of the system notices shown (not those inside a recall's template)."""
    html = re.sub(r"<template>.*?</template>", "", html, flags=re.S)
    found = re.findall(r'<li class="msg msg-system[^"]*"[^>]*><span>(.*?)(?:<button|</span>)', html)
    return [text.strip() for text in found]


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
    alice, _, _, chat_url = await direct_chat(browser_for, people)
    await alice.post(
        f"{chat_url}/messages", {"client_msg_id": "r1", "text": "oops", "after_seq": "0"}, htmx=True
    )
    r = await alice.post(f"{chat_url}/messages/1/recall", {"after_seq": "1"}, htmx=True)
    assert r.status_code == 200
    # a marker (seq 2) that turns the message the page shows (seq 1) into the notice
    assert 'data-seq="2" data-recalls="1"' in r.text and 'id="m1"' in r.text
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


async def direct_chat(
    browser_for: NewBrowser, people: Personas
) -> tuple[WebUser, WebUser, str, str]:
    """Alice and Bob, friends, each at a browser; Alice's id and their chat's address."""
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_id, bob_id = await befriend(people, "alice", "bob")
    return alice, bob, alice_id, (await alice.post(f"/chats/direct/{bob_id}")).headers["location"]


async def say(user: WebUser, chat_url: str, text: str, client_id: str, **more: Any) -> None:
    r = await user.post(
        f"{chat_url}/messages", {"client_msg_id": client_id, "text": text, **more}, htmx=True
    )
    assert r.status_code == 200, r.text


async def remark(people: Personas, who: str, friend_id: str, name: str) -> None:
    user = await people.login(who)
    r = await people.client.patch(
        f"/api/quanzi/v1/friends/{friend_id}", json={"remark": name}, headers=user.auth
    )
    assert r.status_code == 200, r.text


async def test_chats_name_people_by_my_remarks(browser_for: NewBrowser, people: Personas) -> None:
    alice = await browser_for("alice")
    bob = await browser_for("bob")
    await browser_for("cat")
    alice_id, bob_id = await befriend(people, "alice", "bob")
    _, cat_id = await befriend(people, "alice", "cat")
    await befriend(people, "bob", "cat")
    await remark(people, "alice", bob_id, "老鲍")
    await remark(people, "alice", cat_id, "猫猫")
    chat_url = (await alice.post(f"/chats/direct/{bob_id}")).headers["location"]
    await say(bob, chat_url, "hello alice", "b1")
    await say(alice, chat_url, "hi", "a1", reply_to_seq="1")
    page = await alice.page(chat_url)
    assert re.search(r"<title>(\(\d+\) )?老鲍 · ", page)  # the chat's title (after the count)
    assert 'class="sender"' not in page  # a direct chat needs no sender names
    assert '<span class="quote-name">老鲍:</span> hello alice' in page  # the quoted name
    names = json.loads(unescape(re.findall(r"data-names='([^']*)'", page)[0]))
    assert names[bob_id] == "老鲍"  # the typing line's names
    assert "老鲍" in await alice.page("/chats") and "Bob" not in await alice.page("/chats/list")
    # a group: sender names, the @ picker, system notices
    made = await alice.post("/chats/new/group", {"name": "读书会", "member_ids": [bob_id, cat_id]})
    group_url = made.headers["location"]
    await say(bob, group_url, "in the group", "b2")
    await bob.post(f"{group_url}/leave")
    group = await alice.page(group_url)
    assert '<span class="sender">老鲍</span>' in group
    assert 'data-mention="猫猫"> 猫猫</label>' in group
    print(notices(group))
    assert "老鲍 left the group" in notices(group)
    assert "Bob" not in re.sub(r'alt="[^"]*"', "", group.split('id="messages"')[1])
    settings = await alice.page(f"{group_url}/settings")
    assert "猫猫" in settings
    # Bob, who gave no remarks, sees the names people chose
    assert "Alice" in await bob.page(chat_url)
    assert alice_id


async def test_a_reply_shows_the_quoted_text_the_reader_may_see(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob, _, chat_url = await direct_chat(browser_for, people)
    await say(alice, chat_url, "what time on Thursday?", "a1")
    await say(bob, chat_url, "seven", "b1", reply_to_seq="1")
    for user in (alice, bob):
        html = await user.page(chat_url)
        assert '<span class="quote-name">Alice:</span> what time on Thursday?</a>' in html
    live = await alice.get(f"{chat_url}/messages", params={"after_seq": 1})
    assert "what time on Thursday?</a>" in live.text  # fragments too
    await alice.post(f"{chat_url}/messages/1/recall", {"after_seq": "2"}, htmx=True)
    html = await bob.page(chat_url)
    assert "what time on Thursday?" not in html and "The quoted message was recalled" in html


async def test_a_recall_leaves_one_notice_worded_for_each_reader(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob, alice_id, chat_url = await direct_chat(browser_for, people)
    await remark(people, "bob", alice_id, "小A")
    await say(alice, chat_url, "oops", "a1")
    await say(bob, chat_url, "what?", "b1")
    await alice.post(f"{chat_url}/messages/1/recall", {"after_seq": "2"}, htmx=True)
    mine, theirs = await alice.page(chat_url), await bob.page(chat_url)
    assert notices(mine) == ["You recalled a message"]
    assert 'data-action="reedit" data-seq="1" hidden>Re-edit</button>' in mine
    assert notices(theirs) == ["小A recalled a message"]
    assert "Re-edit" not in theirs and "oops" not in theirs
    # catching up after the recall: the recalled message is the notice, the marker is empty
    fragment = await bob.get(f"{chat_url}/messages", params={"after_seq": 0})
    assert notices(fragment.text) == ["小A recalled a message"]
    assert "A message was recalled" in await bob.page("/chats")


async def test_links_in_messages_open_safely(browser_for: NewBrowser, people: Personas) -> None:
    alice, _, _, chat_url = await direct_chat(browser_for, people)
    await say(alice, chat_url, '看https://example.com/a?b=1&c="x"好的 <b>', "a1")
    html = await alice.page(chat_url)
    assert (
        '<p>看<a href="https://example.com/a?b=1&amp;c=" rel="noopener noreferrer nofollow ugc"'
        ' target="_blank">https://example.com/a?b=1&amp;c=</a>&#34;x&#34;好的 &lt;b&gt;</p>'
    ) in html
    await say(alice, chat_url, "javascript:alert(1) www.example.com", "a2")
    html = await alice.page(chat_url)
    assert "javascript:alert(1) www.example.com</p>" in html  # only http(s) links


async def test_time_separators_and_no_tool_row(browser_for: NewBrowser, people: Personas) -> None:
    alice, _, _, chat_url = await direct_chat(browser_for, people)
    await say(alice, chat_url, "one", "a1")
    await say(alice, chat_url, "two", "a2")
    html = await alice.page(chat_url)
    assert html.count('class="time-sep"') == 1  # sent within five minutes: one time above
    assert "msg-tools" not in html and ">Recall</button>" in html  # the menu's, not a row's
    assert html.count('aria-describedby="msg-hint"') == 2


async def test_chat_list_marks_an_unread_mention_until_read(
    browser_for: NewBrowser, people: Personas
) -> None:
    owner = await browser_for("owner")
    bob = await browser_for("bob")
    cat = await browser_for("cat")
    _, bob_id = await befriend(people, "owner", "bob")
    _, cat_id = await befriend(people, "owner", "cat")
    made = await owner.post("/chats/new/group", {"name": "读书会", "member_ids": [bob_id, cat_id]})
    group_url = made.headers["location"]
    group_id = group_url.rsplit("/", 1)[1]
    await say(owner, group_url, "@Bob see this", "o1", mentions=[bob_id])
    await say(owner, group_url, "later", "o2")
    assert "[@me]" in await bob.page("/chats")
    assert "[@me]" in (await bob.get("/chats/list")).text
    assert "[@me]" not in await owner.page("/chats")  # my own mention is no news to me
    assert "[@me]" not in await cat.page("/chats")  # Cat was not mentioned
    bob_api = await people.login("bob")
    last = (
        await people.client.get(f"/api/quanzi/v1/conversations/{group_id}", headers=bob_api.auth)
    ).json()["last_seq"]
    await people.client.post(
        f"/api/quanzi/v1/conversations/{group_id}/read", json={"seq": last}, headers=bob_api.auth
    )
    assert "[@me]" not in await bob.page("/chats")
    await say(owner, group_url, "@all meeting", "o3", mention_all="true")
    assert "[@me]" in await bob.page("/chats")  # @all mentions everyone
    zh = await bob.get("/chats", headers={"accept-language": "zh-CN"})
    assert "[有人@我]" in zh.text


async def chats_to_forward(browser_for: NewBrowser, people: Personas) -> tuple[Any, ...]:
    """Alice's chats with Bob and with Cat: (alice, bob, cat, bob's chat, cat's chat and its id)."""
    alice, bob, _, chat_url = await direct_chat(browser_for, people)
    cat = await browser_for("cat")
    _, cat_id = await befriend(people, "alice", "cat")
    cat_chat = (await alice.post(f"/chats/direct/{cat_id}")).headers["location"]
    return alice, bob, cat, chat_url, cat_chat, cat_chat.rsplit("/", 1)[1]


async def test_forwarding_copies_a_message_into_another_of_my_chats(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob, cat, chat_url, cat_chat, cat_chat_id = await chats_to_forward(browser_for, people)
    await say(bob, chat_url, "see https://example.com/x", "b1")
    picture_form = {"client_msg_id": "b2", "text": "", "after_seq": "1"}
    sent = await bob.post(
        f"{chat_url}/messages",
        picture_form,
        htmx=True,
        files={"image": ("p.png", encode(picture(), "PNG"), "image/png")},
    )
    assert sent.status_code == 200, sent.text
    form = await alice.page(f"{chat_url}/messages/1/forward")
    assert "see https://example.com/x" in form and f'name="to" value="{cat_chat_id}"' in form
    r = await alice.post(
        f"{chat_url}/messages/1/forward", {"to": cat_chat_id, "client_msg_id": "f1"}
    )
    assert r.status_code == 303 and r.headers["location"] == cat_chat
    again = await alice.post(
        f"{chat_url}/messages/1/forward", {"to": cat_chat_id, "client_msg_id": "f1"}
    )
    assert again.status_code == 303  # the same form sent twice: one message
    await alice.post(f"{chat_url}/messages/2/forward", {"to": cat_chat_id, "client_msg_id": "f2"})
    seen = await cat.page(cat_chat)
    assert shown(seen) == [1, 2]
    assert 'href="https://example.com/x"' in seen
    pictures = media_images(seen)
    assert pictures and pictures[-1] not in media_images(await bob.page(chat_url))  # a copy
    # Someone who cannot read the message gets what a missing one gets; so does a notice.
    assert (await cat.get(f"{chat_url}/messages/1/forward")).status_code == 404
    assert (
        await cat.post(f"{chat_url}/messages/1/forward", {"to": cat_chat_id, "client_msg_id": "x"})
    ).status_code == 404
    await bob.post(f"{chat_url}/messages/1/recall", {"after_seq": "2"}, htmx=True)
    assert (await alice.get(f"{chat_url}/messages/1/forward")).status_code == 404
    # Forwarding into a chat I am not in is refused as the chat is missing.
    bob_cat = await bob.get(f"{chat_url}/messages/2/forward")
    assert bob_cat.status_code == 200
    refused = await bob.post(
        f"{chat_url}/messages/2/forward", {"to": cat_chat_id, "client_msg_id": "x"}
    )
    assert refused.status_code == 404
    zh = await alice.get(f"{chat_url}/messages/2/forward", headers={"accept-language": "zh-CN"})
    assert "转发给" in zh.text


async def test_multi_select_forwards_as_one_record_and_shows_it(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob, cat, chat_url, cat_chat, cat_chat_id = await chats_to_forward(browser_for, people)
    await say(bob, chat_url, "first words", "b1")
    await say(alice, chat_url, "second words", "a1")
    sent = await bob.post(
        f"{chat_url}/messages",
        {"client_msg_id": "b2", "text": "", "after_seq": "2"},
        htmx=True,
        files={"image": ("p.png", encode(picture(), "PNG"), "image/png")},
    )
    assert sent.status_code == 200, sent.text
    chat = await alice.page(chat_url)
    assert 'data-menu="select"' in chat and 'id="select-bar"' in chat
    chooser = await alice.page(f"{chat_url}/forward?seqs=1&seqs=2&seqs=3&merged=true")
    assert "first words" in chooser and f'name="to" value="{cat_chat_id}"' in chooser
    assert 'name="merged" value="true"' in chooser
    form = {"to": cat_chat_id, "client_msg_id": "r1", "seqs": ["1", "2", "3"], "merged": "true"}
    r = await alice.post(f"{chat_url}/forward", form)
    assert r.status_code == 303 and r.headers["location"] == cat_chat
    assert (await alice.post(f"{chat_url}/forward", form)).status_code == 303  # once only
    seen = await cat.page(cat_chat)
    assert shown(seen) == [1]
    assert "Chat history of Alice and Bob" in seen and "Bob: first words" in seen
    await say(cat, cat_chat, "nice", "c1", reply_to_seq="1")
    assert "[Chat history]</a>" in await cat.page(cat_chat)  # a reply quotes it as such
    record = await cat.page(f"{cat_chat}/messages/1/record")
    assert "first words" in record and "second words" in record
    assert "data-photos" in record and media_images(record)
    assert media_images(record)[0] not in media_images(await bob.page(chat_url))  # a copy
    zh = await cat.get(f"{cat_chat}/messages/1/record", headers={"accept-language": "zh-CN"})
    assert "Alice和Bob的聊天记录" in zh.text
    # one by one: each its own message (the chooser's form carries the choice, even of one)
    assert 'name="seqs" value="2"' in await alice.page(f"{chat_url}/forward?seqs=2")
    one = {"to": cat_chat_id, "client_msg_id": "o1", "seqs": ["1", "2"], "merged": "false"}
    assert (await alice.post(f"{chat_url}/forward", one)).status_code == 303
    assert shown(await cat.page(cat_chat)) == [1, 2, 3, 4]
    # what the forwarder may not read, and a record for someone outside its chat
    assert (await cat.get(f"{chat_url}/forward?seqs=1")).status_code == 404
    assert (await bob.get(f"{cat_chat}/messages/1/record")).status_code == 404
    assert (await alice.get(f"{chat_url}/forward?seqs=99")).status_code == 404
