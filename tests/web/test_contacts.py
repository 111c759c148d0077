"""The Contacts tab over HTTP: new friends (requests with greetings), the contact list with
remarks and labels, profiles and what they offer, follows, blocks, finding people."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import PASSWORD, Personas, User
from tests.web.conftest import NewBrowser
from tests.web_helpers import WebUser


async def user(people: Personas, handle: str) -> User:
    """The API persona of someone registered through the web (for ids and privacy)."""
    return await people.login(handle)


async def privacy(people: Personas, who: User, **values: Any) -> None:
    r = await people.client.patch(
        "/api/quanzi/v1/accounts/me", json={"privacy": values}, headers=who.auth
    )
    assert r.status_code == 200, r.text


async def ask(browser: WebUser, to: User, greeting: str = "你好", **extra: Any) -> str:
    """Send a friend request from the profile's form; returns where it went."""
    await browser.page(f"/people/{to.id}/add")
    r = await browser.post(f"/people/{to.id}/add", {"greeting": greeting, **extra})
    assert r.status_code == 303, r.text[:500]
    return str(r.headers["location"])


def request_ids(html: str) -> list[str]:
    return re.findall(r'id="request-(\d+)"', html)


def listed(html: str) -> list[str]:
    """The people the contact list shows, in order (ids)."""
    found = re.search(r'<ul class="rows" id="friends".*?</ul>', html, re.S)
    assert found
    return re.findall(r'data-account="(\d+)"', found.group(0))


def friend_titles(html: str) -> list[str]:
    found = re.search(r'<ul class="rows" id="friends".*?</ul>', html, re.S)
    assert found
    return re.findall(r'<span class="row-title">([^<]*)</span>', found.group(0))


async def befriend(alice: WebUser, bob: WebUser, bob_user: User) -> None:
    await ask(alice, bob_user)
    incoming = await bob.page("/contacts/requests")
    r = await bob.post(f"/contacts/requests/{request_ids(incoming)[0]}/accept")
    assert r.status_code == 303


async def test_request_with_greeting_is_accepted_with_remark_and_label(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await bob.page("/contacts/labels")
    assert (await bob.post("/contacts/labels", {"name": "同学"})).status_code == 303
    label_id = re.findall(r'data-label="(\d+)"', await bob.page("/contacts/labels"))[0]

    profile = await alice.page(f"/people/{bob_user.id}")
    assert 'id="add-friend"' in profile and 'id="message"' not in profile
    went = await ask(alice, bob_user, "我是 Alice，周末一起爬山？")
    assert went == f"/people/{bob_user.id}?added=sent"
    assert "Friend request sent" in await alice.page(went)
    assert "waiting for an answer" in await alice.page(f"/people/{bob_user.id}")

    home = await bob.page("/contacts")
    assert "1 friend request waiting" in home
    requests = await bob.page("/contacts/requests")
    assert "我是 Alice，周末一起爬山？" in requests and "Alice" in requests
    assert 'hx-get="/contacts/requests/list" hx-trigger="qz:notifications from:body"' in requests
    live = await bob.get("/contacts/requests/list")
    assert "周末一起爬山" in live.text and "<html" not in live.text

    [request_id] = request_ids(requests)
    r = await bob.post(
        f"/contacts/requests/{request_id}/accept", {"remark": "爬山的 Alice", "label_ids": label_id}
    )
    assert r.status_code == 303
    assert "1 friend request waiting" not in await bob.page("/contacts")
    assert "Added" in await bob.page("/contacts/requests")

    bobs = await bob.page("/contacts")
    assert listed(bobs) == [alice_user.id] and friend_titles(bobs) == ["爬山的 Alice"]
    group = re.search(rf'data-label="{label_id}".*?</details>', bobs, re.S)
    assert group and "爬山的 Alice" in group.group(0)
    alices = await alice.page("/contacts")
    assert listed(alices) == [bob_user.id] and friend_titles(alices) == ["Bob"]

    seen = await bob.page(f"/people/{alice_user.id}")
    assert "爬山的 Alice" in seen and "Name: Alice" in seen and "同学" in seen
    assert 'id="message"' in seen and 'id="add-friend"' not in seen
    assert f'action="/chats/direct/{alice_user.id}"' in seen
    assert f'href="/people/{alice_user.id}/moments"' in seen
    assert f'href="/people/{alice_user.id}/posts"' in seen


async def test_declined_request_makes_no_friends(browser_for: NewBrowser, people: Personas) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await ask(alice, bob_user, "hello")
    [request_id] = request_ids(await bob.page("/contacts/requests"))
    assert (await bob.post(f"/contacts/requests/{request_id}/decline")).status_code == 303
    assert "Declined" in await bob.page("/contacts/requests")
    assert listed(await bob.page("/contacts")) == []
    assert listed(await alice.page("/contacts")) == []
    assert 'id="add-friend"' in await bob.page(f"/people/{alice_user.id}")


async def test_account_without_verification_becomes_a_friend_at_once(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await privacy(people, bob_user, add_needs_verification=False)
    went = await ask(alice, bob_user, "hi", remark="Bobby")
    assert went == f"/people/{bob_user.id}?added=friends"
    page = await alice.page(went)
    assert "You are friends now" in page and 'id="message"' in page
    assert friend_titles(await alice.page("/contacts")) == ["Bobby"]
    assert listed(await bob.page("/contacts")) == [alice_user.id]
    assert request_ids(await bob.page("/contacts/requests")) != []  # shown as added
    assert "Added" in await bob.page("/contacts/requests")


async def test_remove_friend(browser_for: NewBrowser, people: Personas) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await befriend(alice, bob, bob_user)
    profile = await alice.page(f"/people/{bob_user.id}")
    assert 'id="remove-friend"' in profile
    r = await alice.post(f"/people/{bob_user.id}/remove")
    assert r.status_code == 303 and r.headers["location"] == "/contacts"
    assert listed(await alice.page("/contacts")) == []
    assert 'id="add-friend"' in await alice.page(f"/people/{bob_user.id}")
    assert listed(await bob.page("/contacts")) == [alice_user.id]  # one-sided, as WeChat


async def test_remark_and_labels_are_set_from_the_profile(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    bob_user = await user(people, "bob")
    await befriend(alice, bob, bob_user)
    await alice.page("/contacts/labels")
    await alice.post("/contacts/labels", {"name": "Family"})
    [label_id] = re.findall(r'data-label="(\d+)"', await alice.page("/contacts/labels"))
    form = await alice.page(f"/people/{bob_user.id}/remark")
    assert 'name="remark"' in form and f'value="{label_id}"' in form
    r = await alice.post(f"/people/{bob_user.id}/remark", {"remark": "老王", "label_ids": label_id})
    assert r.status_code == 303
    profile = await alice.page(f"/people/{bob_user.id}")
    assert "老王" in profile and "Name: Bob" in profile and "Family" in profile
    assert f'value="{label_id}" checked' in await alice.page(f"/people/{bob_user.id}/remark")
    alice_user = await user(people, "alice")
    own = await alice.page(f"/people/{alice_user.id}")
    assert "This is you" in own and 'id="add-friend"' not in own and 'id="block"' not in own


async def test_contacts_are_sorted_by_the_name_shown(
    browser_for: NewBrowser, people: Personas
) -> None:
    me = await browser_for("mememe")
    for handle in ("zed", "amy", "kim"):
        other = await browser_for(handle)
        await befriend(me, other, await user(people, handle))
    kim = await user(people, "kim")
    await me.post(f"/people/{kim.id}/remark", {"remark": "Aaron"})
    assert friend_titles(await me.page("/contacts")) == ["Aaron", "Amy", "Zed"]


async def test_follow_unfollow_and_locked_accounts(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob, carol = [await browser_for(h) for h in ("alice", "bob", "carol")]
    alice_user, bob_user, carol_user = [await user(people, h) for h in ("alice", "bob", "carol")]
    await alice.page(f"/people/{bob_user.id}")
    assert (await alice.post(f"/people/{bob_user.id}/follow")).status_code == 303
    assert 'id="unfollow"' in await alice.page(f"/people/{bob_user.id}")
    assert f'data-account="{bob_user.id}"' in await alice.page("/contacts/following")
    followers = await bob.page("/contacts/followers")
    assert f'data-account="{alice_user.id}"' in followers
    assert "Follows you" in await bob.page(f"/people/{alice_user.id}")
    await alice.post(f"/people/{bob_user.id}/unfollow")
    assert 'id="follow"' in await alice.page(f"/people/{bob_user.id}")
    assert f'data-account="{bob_user.id}"' not in await alice.page("/contacts/following")

    await privacy(people, carol_user, locked=True)
    await alice.post(f"/people/{carol_user.id}/follow")
    assert "Requested" in await alice.page(f"/people/{carol_user.id}")
    waiting = await carol.page("/contacts/followers")
    assert "Asking to follow you" in waiting and f'data-account="{alice_user.id}"' in waiting
    await carol.post(f"/contacts/follow-requests/{alice_user.id}/accept")
    followers = await carol.page("/contacts/followers")
    assert "Asking to follow you" not in followers
    assert f'data-account="{alice_user.id}"' in followers
    assert 'id="unfollow"' in await alice.page(f"/people/{carol_user.id}")
    await carol.post(f"/contacts/followers/{alice_user.id}/remove")
    assert f'data-account="{alice_user.id}"' not in await carol.page("/contacts/followers")
    assert 'id="follow"' in await alice.page(f"/people/{carol_user.id}")


async def test_block_hides_the_blocker_exactly_as_a_missing_account(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await bob.page(f"/people/{alice_user.id}")
    assert (await bob.post(f"/people/{alice_user.id}/block")).status_code == 303
    assert "You blocked this person" in await bob.page(f"/people/{alice_user.id}")
    assert f'data-account="{alice_user.id}"' in await bob.page("/contacts/blocked")

    hidden = await alice.get(f"/people/{bob_user.id}")
    missing = await alice.get("/people/4242424242")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text and "No such account" in hidden.text
    assert (await alice.get(f"/people/{bob_user.id}/add")).text == missing.text
    sent = await alice.post(f"/people/{bob_user.id}/add", {"greeting": "let me in"})
    assert sent.status_code == 404 and "No such account" in sent.text
    assert request_ids(await bob.page("/contacts/requests")) == []
    found = await alice.page(f"/contacts/search?q={bob_user.number}")
    assert f"/people/{bob_user.id}" not in found

    r = await bob.post(f"/people/{alice_user.id}/unblock", {"next": "/contacts/blocked"})
    assert r.headers["location"] == "/contacts/blocked"
    assert f'data-account="{alice_user.id}"' not in await bob.page("/contacts/blocked")
    assert (await alice.get(f"/people/{bob_user.id}")).status_code == 200


async def test_search_by_number_honours_the_privacy_setting(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bobby")
    bob_user = await user(people, "bobby")
    found = await alice.page(f"/contacts/search?q={bob_user.number}")
    assert f'href="/people/{bob_user.id}"' in found and f"No. {bob_user.number}" in found
    by_handle = await alice.page("/contacts/search?q=%40bobby")
    assert f'href="/people/{bob_user.id}"' in by_handle
    by_name = await alice.page("/contacts/search?q=Bobby")
    assert f'href="/people/{bob_user.id}"' in by_name

    await privacy(people, bob_user, find_by_number=False)
    hidden = await alice.page(f"/contacts/search?q={bob_user.number}")
    assert f"/people/{bob_user.id}" not in hidden and "No one found" in hidden
    assert str(bob_user.number) not in (await alice.page("/contacts/search?q=bobby")).replace(
        f"q={bob_user.number}", ""
    )
    assert "Account number" not in await alice.page(f"/people/{bob_user.id}")


async def test_labels_are_created_renamed_given_members_and_deleted(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    bob, cat = await browser_for("bob"), await browser_for("cat")
    bob_user, cat_user = await user(people, "bob"), await user(people, "cat")
    await befriend(alice, bob, bob_user)
    await befriend(alice, cat, cat_user)

    await alice.page("/contacts/labels")
    r = await alice.post("/contacts/labels", {"name": "Work", "member_ids": [bob_user.id]})
    assert r.status_code == 303 and r.headers["location"] == "/contacts/labels"
    page = await alice.page("/contacts/labels")
    [label_id] = re.findall(r'data-label="(\d+)"', page)
    assert "Work" in page and "(1)" in page

    edit = await alice.page(f"/contacts/labels/{label_id}")
    assert f'value="{bob_user.id}" checked' in edit and f'value="{cat_user.id}" checked' not in edit
    await alice.post(
        f"/contacts/labels/{label_id}", {"name": "同事", "member_ids": [bob_user.id, cat_user.id]}
    )
    page = await alice.page("/contacts/labels")
    assert "同事" in page and "Work" not in page and "(2)" in page
    home = await alice.page("/contacts")
    group = re.search(rf'data-label="{label_id}".*?</details>', home, re.S)
    assert group and "Bob" in group.group(0) and "Cat" in group.group(0)

    same = await alice.post("/contacts/labels", {"name": "同事"})
    assert same.status_code == 409 and "You have a label with that name" in same.text

    r = await alice.post(f"/contacts/labels/{label_id}/delete")
    assert r.status_code == 303
    assert "同事" not in await alice.page("/contacts/labels")
    assert (await alice.get(f"/contacts/labels/{label_id}")).status_code == 404


async def test_user_text_is_escaped(browser_for: NewBrowser, people: Personas) -> None:
    evil = "<script>alert(1)</script>"
    alice = WebUser(people.client)
    await alice.register("alice", f"A{evil}")
    bob = await browser_for("bob")
    alice_user, bob_user = await user(people, "alice"), await user(people, "bob")
    await ask(alice, bob_user, f"hi {evil}")
    requests = await bob.page("/contacts/requests")
    assert "hi &lt;script&gt;alert(1)&lt;/script&gt;" in requests and evil not in requests
    await bob.post("/contacts/labels", {"name": "<b>x</b>"})
    await bob.post(f"/contacts/requests/{request_ids(requests)[0]}/accept", {"remark": f"R{evil}"})
    for path in ("/contacts", "/contacts/labels", f"/people/{alice_user.id}"):
        html = await bob.page(path)
        assert evil not in html and "<b>x</b>" not in html, path
    profile = await bob.page(f"/people/{alice_user.id}")
    assert "R&lt;script&gt;" in profile and "Name: A&lt;script&gt;" in profile
    await alice.close()


async def test_forms_without_the_csrf_token_are_refused(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    bob_user = await user(people, "bob")
    for path, data in (
        (f"/people/{bob_user.id}/add", {"greeting": "hi"}),
        (f"/people/{bob_user.id}/block", {}),
        ("/contacts/labels", {"name": "x"}),
    ):
        r = await alice.c.post(path, data=data)
        assert r.status_code == 403, path
        r = await alice.c.post(path, data={**data, "csrf_token": "forged" * 8})
        assert r.status_code == 403, path
    assert 'id="add-friend"' in await alice.page(f"/people/{bob_user.id}")
    assert "No labels yet" in await alice.page("/contacts/labels")


async def test_a_scanned_profile_needs_a_login_and_comes_back(
    browser_for: NewBrowser, people: Personas
) -> None:
    await browser_for("bob")
    bob_user = await user(people, "bob")
    visitor = WebUser(people.client)
    r = await visitor.get(f"/people/{bob_user.id}")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/people/{bob_user.id}"
    await people.register("newcomer")
    await visitor.get("/login")
    r = await visitor.post(
        "/login",
        {
            "login": "newcomer",
            "password": PASSWORD,
            "next": f"/people/{bob_user.id}",
        },
    )
    assert r.headers["location"] == f"/people/{bob_user.id}"
    page = await visitor.page(f"/people/{bob_user.id}")
    assert 'id="add-friend"' in page and "Handle: bob" in page
    await visitor.close()
