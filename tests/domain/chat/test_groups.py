"""Groups (domain/chat/conversations.py, membership.py): creating, the member cap, invitations,
removing and leaving, roles and ownership, the group picture, an erased member, and what a
former member is shown."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.chat_helpers import Chat, people_with_chat
from tests.helpers import Personas, encode, load_file, picture

# Groups


async def test_create_a_group_of_friends(pals: Any, people: Personas) -> None:
    alice, bob, carol = pals
    refused = await alice.group(bob, carol)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "not_a_friend"
    await alice.befriend(carol)
    r = await alice.group(bob, carol, name="周末爬山", announcement="周六早上八点")
    assert r.status_code == 201
    group = r.json()
    assert (group["kind"], group["name"], group["member_count"]) == ("group", "周末爬山", 3)
    assert group["me"]["role"] == "owner"
    members = (await bob.call("GET", f"/conversations/{group['id']}/members")).json()["items"]
    assert {(m["account"]["handle"], m["role"]) for m in members} == {
        ("alice", "owner"),
        ("bob", "member"),
        ("carol", "member"),
    }
    assert await carol.events(group["id"]) == ["created"]


async def test_group_creation_is_idempotent(app: FastAPI, pals: Any) -> None:
    alice, bob, _ = pals
    headers = {**alice.user.auth, "Idempotency-Key": "g-1"}
    body = {"name": "x", "member_ids": [bob.id]}
    one = await alice.c.post("/api/quanzi/v1/conversations/group", json=body, headers=headers)
    two = await alice.c.post("/api/quanzi/v1/conversations/group", json=body, headers=headers)
    assert one.json()["id"] == two.json()["id"]
    assert len((await bob.conversations())["items"]) == 1


async def test_member_cap(app: FastAPI, people: Personas) -> None:
    owner, *friends = await people_with_chat(people, "owner", "fa1", "fa2", "fa3")
    for f in friends:
        await owner.befriend(f)
    app.state.services.settings.group_max_members = 3
    full = await owner.group(*friends)
    assert full.status_code == 422
    assert full.json()["error"]["code"] == "group_full"
    conv = await owner.group_id(friends[0], friends[1])
    over = await owner.call(
        "POST", f"/conversations/{conv}/members", json={"account_ids": [friends[2].id]}
    )
    assert over.status_code == 409


async def test_invited_members_see_only_what_comes_after(people: Personas) -> None:
    owner, bob, newbie = await people_with_chat(people, "owner", "bob", "newbie")
    await owner.befriend(bob)
    await owner.befriend(newbie)
    conv = await owner.group_id(bob)
    await owner.say(conv, "before you came")
    r = await owner.call(
        "POST", f"/conversations/{conv}/members", json={"account_ids": [newbie.id]}
    )
    assert r.json() == {"joined": [newbie.id], "invited": []}
    await bob.say(conv, "welcome")
    assert await newbie.texts(conv) == ["welcome"]
    assert await newbie.events(conv) == ["invited"]
    assert "before you came" in await bob.texts(conv)


async def test_large_groups_need_the_invitee_to_accept(app: FastAPI, people: Personas) -> None:
    owner, bob, newbie = await people_with_chat(people, "owner", "bob", "newbie")
    await owner.befriend(bob)
    await owner.befriend(newbie)
    app.state.services.settings.group_invite_approval_above = 2
    conv = await owner.group_id(bob)
    r = await owner.call(
        "POST", f"/conversations/{conv}/members", json={"account_ids": [newbie.id]}
    )
    assert r.json() == {"joined": [], "invited": [newbie.id]}
    kinds = [n["kind"] for n in (await newbie.call("GET", "/notifications")).json()["items"]]
    assert kinds[0] == "group_invite"  # newest first, after the friend request
    await owner.say(conv, "still private")
    assert await newbie.texts(conv) == []
    assert (await newbie.send(conv)).status_code == 404
    accepted = await newbie.call("POST", f"/conversations/{conv}/invitation", json={"accept": True})
    assert accepted.status_code == 204
    await owner.say(conv, "now you see this")
    assert await newbie.texts(conv) == ["now you see this"]
    assert (await owner.conversation(conv)).json()["member_count"] == 3


async def test_removed_and_departed_members_see_nothing_after(people: Personas) -> None:
    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    for f in (bob, carol):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol)
    await owner.say(conv, "one")
    assert (
        await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    ).status_code == 204
    await owner.say(conv, "two")
    assert await bob.texts(conv) == ["one"]
    assert (await bob.events(conv))[-1] == "removed"  # Bob sees that he was removed
    refused = await bob.send(conv)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_a_member"
    assert (await carol.call("POST", f"/conversations/{conv}/leave")).status_code == 204
    await owner.say(conv, "three")
    assert await carol.texts(conv) == ["one", "two"]
    assert (await owner.conversation(conv)).json()["member_count"] == 1


async def test_ownership_admins_and_dissolving(app: FastAPI, people: Personas) -> None:
    owner, bob, carol, dave = await people_with_chat(people, "owner", "bob", "carol", "dave")
    for f in (bob, carol, dave):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol, dave)
    assert (
        await bob.call("PATCH", f"/conversations/{conv}", json={"name": "x"})
    ).status_code == 403
    assert (
        await bob.call(
            "PUT", f"/conversations/{conv}/members/{carol.id}/role", json={"role": "admin"}
        )
    ).status_code == 403
    assert (
        await owner.call(
            "PUT", f"/conversations/{conv}/members/{bob.id}/role", json={"role": "admin"}
        )
    ).status_code == 204
    renamed = await bob.call("PATCH", f"/conversations/{conv}", json={"name": "新名字"})
    assert renamed.json()["name"] == "新名字"
    app.state.services.settings.group_max_admins = 1
    too_many = await owner.call(
        "PUT", f"/conversations/{conv}/members/{carol.id}/role", json={"role": "admin"}
    )
    assert too_many.status_code == 409
    owner_removal = await bob.call("DELETE", f"/conversations/{conv}/members/{owner.id}")
    assert owner_removal.status_code == 403
    assert (await bob.call("DELETE", f"/conversations/{conv}/members/{dave.id}")).status_code == 204
    stuck = await owner.call("POST", f"/conversations/{conv}/leave")
    assert stuck.json()["error"]["code"] == "owner_must_transfer"
    assert (
        await owner.call("POST", f"/conversations/{conv}/transfer", json={"account_id": carol.id})
    ).status_code == 204
    assert (await owner.call("POST", f"/conversations/{conv}/leave")).status_code == 204
    assert (await carol.conversation(conv)).json()["owner_id"] == carol.id
    assert (await carol.call("DELETE", f"/conversations/{conv}")).status_code == 204
    dissolved = await bob.send(conv)
    assert dissolved.json()["error"]["code"] == "conversation_dissolved"
    assert await carol.events(conv) == [
        "created",
        "admin_added",
        "renamed",
        "removed",
        "owner",
        "left",
        "dissolved",
    ]


async def test_mentions_notify_and_at_all_is_for_admins(people: Personas) -> None:
    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    for f in (bob, carol):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol)
    sent = await bob.say(conv, "@carol 看这个", mentions=[carol.id])
    assert sent["mentions"] == [carol.id]
    notes = (await carol.call("GET", "/notifications")).json()["items"]
    assert [(n["actor_id"], n["data"]["seq"]) for n in notes if n["kind"] == "chat_mention"] == [
        (bob.id, sent["seq"])
    ]
    everyone = await bob.send(conv, "@所有人", mention_all=True)
    assert everyone.status_code == 403
    ok = await owner.say(conv, "@所有人 开会", mention_all=True)
    assert ok["mentions_all"] is True


async def test_group_avatar_is_for_members(people: Personas) -> None:
    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    await owner.befriend(bob)
    upload = await owner.c.post(
        "/api/quanzi/v1/media",
        files={"file": ("g.png", encode(picture(), "PNG"))},
        headers=owner.user.auth,
    )
    media_id = upload.json()["id"]
    conv = await owner.group_id(bob, avatar_id=media_id)
    got = (await bob.conversation(conv)).json()
    assert got["avatar_url"].startswith(f"http://testserver/media/{media_id}/")
    assert (await load_file(bob.c, got["avatar_url"] + "/thumb")).status_code == 200
    described = f"/api/quanzi/v1/media/{media_id}"
    assert (await bob.c.get(described, headers=bob.user.auth)).status_code == 200
    assert (await carol.c.get(described, headers=carol.user.auth)).status_code == 404
    assert (await carol.conversation(conv)).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "1e3", "99999999999999999999"])
async def test_malformed_conversation_ids_are_422(pals: Any, bad: str) -> None:
    alice, _, _ = pals
    for r in (await alice.messages(bad), await alice.send(bad), await alice.conversation(bad)):
        assert r.status_code == 422, r.request.url
        assert r.json()["error"]["code"] == "invalid_request"


async def test_an_erased_account_leaves_its_chats(people: Personas) -> None:
    from tests.helpers import PASSWORD

    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    for f in (bob, carol):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol)
    await owner.say(conv, "my words")
    await bob.say(conv, "bob's words")
    await owner.c.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": PASSWORD}, headers=owner.user.auth
    )
    items = (await bob.messages(conv)).json()["items"]
    assert [(m["kind"], m["text"]) for m in items if m["kind"] != "system"] == [
        ("recalled", ""),
        ("text", "bob's words"),
    ]
    group = (await bob.conversation(conv)).json()
    assert group["member_count"] == 2
    assert group["owner_id"] in (bob.id, carol.id)  # the group lives on with a new owner
    assert (await bob.send(conv)).status_code == 201


async def test_many_concurrent_conversation_lists_do_not_exhaust_the_readers(
    app: FastAPI, people: Personas
) -> None:
    """Rendering a conversation reads the peer's account inside the same transaction; a second
    connection per request would deadlock once every reader is held by such a request."""
    import asyncio

    users = await people_with_chat(people, *[f"user{i:02d}" for i in range(13)])
    hub, others = users[0], users[1:]
    for other in others:
        await hub.befriend(other)
        await other.direct_id(hub)
    app.state.services.account_cache.clear()  # every peer must be read again
    async with asyncio.timeout(15):
        answers = await asyncio.gather(*(u.call("GET", "/conversations") for u in others * 2))
    assert {r.status_code for r in answers} == {200}


# Former members: the group as it was when they went


async def _group_of_four(people: Personas) -> tuple[Chat, Chat, Chat, Chat, str]:
    owner, bob, carol, dave = await people_with_chat(people, "owner", "bob", "carol", "dave")
    for f in (bob, carol, dave):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol, name="旧名字", announcement="旧公告")
    return owner, bob, carol, dave, conv


async def _change_everything(owner: Chat, carol: Chat, dave: Chat, conv: str) -> str:
    """Rename, new announcement and picture, a new member, a new owner, then dissolution."""
    avatar = await owner.upload()
    r = await owner.call(
        "PATCH",
        f"/conversations/{conv}",
        json={"name": "新名字", "announcement": "新公告", "avatar_id": avatar},
    )
    assert r.status_code == 200, r.text
    await owner.call("POST", f"/conversations/{conv}/members", json={"account_ids": [dave.id]})
    await owner.say(conv, "after you went")
    await owner.call("POST", f"/conversations/{conv}/transfer", json={"account_id": carol.id})
    assert (await carol.call("DELETE", f"/conversations/{conv}")).status_code == 204
    return avatar


@pytest.mark.parametrize("how", ["removed", "left"])
async def test_former_member_sees_group_as_it_was_when_they_went(
    people: Personas, how: str
) -> None:
    owner, bob, carol, dave, conv = await _group_of_four(people)
    await owner.say(conv, "before")
    if how == "removed":
        r = await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    else:
        r = await bob.call("POST", f"/conversations/{conv}/leave")
    assert r.status_code == 204
    as_left = (await bob.conversation(conv)).json()
    await _change_everything(owner, carol, dave, conv)

    now = (await bob.conversation(conv)).json()
    [listed] = [c for c in (await bob.conversations())["items"] if c["id"] == conv]
    for seen in (now, listed):
        assert seen == as_left
    assert (now["name"], now["announcement"], now["member_count"]) == ("旧名字", "旧公告", 2)
    assert (now["owner_id"], now["status"], now["avatar_url"]) == (owner.id, "active", None)
    assert now["me"]["state"] == how
    assert await bob.texts(conv) == ["before"]  # the history up to leaving stays readable
    assert (await bob.events(conv))[-1] == how
    members = (await carol.conversation(conv)).json()  # a member sees the group as it is
    assert (members["name"], members["status"], members["owner_id"]) == (
        "新名字",
        "dissolved",
        carol.id,
    )


async def test_a_member_who_comes_back_sees_the_group_as_it_is(people: Personas) -> None:
    owner, bob, _, _, conv = await _group_of_four(people)
    await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    await owner.call("PATCH", f"/conversations/{conv}", json={"name": "新名字"})
    await owner.call("POST", f"/conversations/{conv}/members", json={"account_ids": [bob.id]})
    back = (await bob.conversation(conv)).json()
    assert (back["name"], back["member_count"], back["me"]["state"]) == ("新名字", 3, "active")


async def test_removed_member_sees_the_members_page_as_missing(people: Personas) -> None:
    owner, bob, _, _, conv = await _group_of_four(people)
    await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    hidden = await bob.call("GET", f"/conversations/{conv}/members")
    missing = await bob.call("GET", "/conversations/123456789/members")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


async def test_changed_since_shows_nothing_new_of_a_group_after_one_left(
    people: Personas,
) -> None:
    owner, bob, carol, dave, conv = await _group_of_four(people)
    await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    first = await bob.conversations()
    assert [c["id"] for c in first["items"]] == [conv]
    await _change_everything(owner, carol, dave, conv)
    changed = await bob.conversations(changed_since=first["sync_version"])
    # Within the overlap margin it may come again, but only exactly as it was.
    assert changed["items"] in ([], first["items"])


async def test_former_member_cannot_fetch_the_group_avatar(people: Personas) -> None:
    owner, bob, carol, dave, _ = await _group_of_four(people)
    before = await owner.upload()
    conv = await owner.group_id(bob, carol, avatar_id=before)
    shown = (await bob.conversation(conv)).json()["avatar_url"]
    assert (await load_file(bob.c, shown)).status_code == 200
    await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    after = await _change_everything(owner, carol, dave, conv)
    # The URL bob was shown stopped with the picture it showed; the new one never reached him.
    missing = await load_file(bob.c, "/media/123456789/AAAAAAAAAAAAAAAAAAAAAA")
    for url in (shown, shown + "/thumb"):
        hidden = await load_file(bob.c, url)
        assert hidden.status_code == missing.status_code == 404, url
        assert hidden.content == missing.content
    not_described = await bob.c.get("/api/quanzi/v1/media/123456789", headers=bob.user.auth)
    for media_id in (before, after):
        described = await bob.c.get(f"/api/quanzi/v1/media/{media_id}", headers=bob.user.auth)
        assert described.status_code == not_described.status_code == 404
        assert described.content == not_described.content
    assert (await bob.conversation(conv)).json()["avatar_url"] is None
    got = await carol.c.get(f"/api/quanzi/v1/media/{after}", headers=carol.user.auth)
    assert got.status_code == 200  # members still may
