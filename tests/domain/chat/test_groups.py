"""Chats over HTTP: who may message whom, messages, groups, read state, recall."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.chat_helpers import Chat, people_with_chat
from tests.helpers import Personas, assert_missing_file, encode, load_file, picture


@pytest.fixture
async def pals(people: Personas) -> tuple[Chat, Chat, Chat]:
    """Alice and Bob are friends; Carol is a stranger to both."""
    alice, bob, carol = await people_with_chat(people, "alice", "bob", "carol")
    await alice.befriend(bob)
    return alice, bob, carol


# Direct chats


async def test_friends_chat_directly(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    assert await bob.direct_id(alice) == conv  # one chat per pair, from either side
    sent = await alice.say(conv, "晚上一起吃饭吗？")
    assert (sent["seq"], sent["sender_id"], sent["kind"]) == (1, alice.id, "text")
    listed = (await bob.conversations())["items"]
    [mine] = [c for c in listed if c["id"] == conv]
    assert mine["kind"] == "direct"
    assert mine["peer"]["handle"] == "alice"
    assert mine["unread"] == 1
    assert mine["last_message"]["text"] == "晚上一起吃饭吗？"
    assert await bob.texts(conv, after_seq=0) == ["晚上一起吃饭吗？"]
    reply = await bob.say(conv, "好的！", reply_to_seq=1)
    assert (reply["seq"], reply["reply_to_seq"]) == (2, 1)


async def test_strangers_cannot_message_unless_allowed(pals: Any) -> None:
    alice, _, carol = pals
    refused = await alice.direct(carol)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "cannot_message"
    await carol.call("PATCH", "/accounts/me", json={"privacy": {"allow_strangers": True}})
    conv = await alice.direct_id(carol)
    assert (await alice.send(conv)).status_code == 201


async def test_removed_friend_cannot_message_either_way(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv)
    assert (await alice.call("DELETE", f"/friends/{bob.id}")).status_code == 204
    for who in (bob, alice):
        r = await who.send(conv)
        assert r.status_code == 403, who.user.handle
        assert r.json()["error"]["code"] == "cannot_message"
    assert await bob.texts(conv) == ["你好"]  # the history stays


async def test_blocked_cannot_message_and_is_not_told_why(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await bob.call("PUT", f"/blocks/{alice.id}")
    blocked = await alice.send(conv)
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "cannot_message"  # as for any non-friend
    blocker = await bob.send(conv)
    assert blocker.status_code == 409
    assert blocker.json()["error"]["code"] == "blocking"


# Messages


async def test_a_retried_send_returns_the_original(app: FastAPI, pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    first = await alice.send(conv, "once", client_msg_id="m-1")
    again = await alice.send(conv, "once", client_msg_id="m-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await alice.send(conv, "twice", client_msg_id="m-2")
    assert other.json()["seq"] == 2
    assert await bob.texts(conv) == ["once", "twice"]
    # The same client id from another sender is another message.
    theirs = await bob.send(conv, "mine", client_msg_id="m-1")
    assert theirs.json()["seq"] == 3


async def test_seqs_are_contiguous(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    seqs = [(await (alice if i % 2 else bob).say(conv, f"m{i}"))["seq"] for i in range(20)]
    assert seqs == list(range(1, 21))


async def test_sends_and_notices_share_one_gap_free_sequence(pals: Any) -> None:
    """Every message is appended one way (chat/append.py): a member's sends, system notices
    and recall notices take the next seq in turn, and the conversation's last_seq is the last."""
    alice, bob, _ = pals
    conv = await alice.group_id(bob)  # 1: "created"
    await alice.say(conv, "one")  # 2
    r = await alice.call("PATCH", f"/conversations/{conv}", json={"name": "新名字"})  # 3
    assert r.status_code == 200, r.text
    said = await bob.say(conv, "two")  # 4
    r = await bob.call("POST", f"/conversations/{conv}/messages/{said['seq']}/recall")  # 5
    assert r.status_code == 200, r.text
    await alice.say(conv, "three")  # 6
    items = (await bob.messages(conv)).json()["items"]
    assert sorted(m["seq"] for m in items) == list(range(1, 7))
    assert [m["kind"] for m in sorted(items, key=lambda m: m["seq"])] == [
        "system",
        "text",
        "system",
        "recalled",
        "recall",
        "text",
    ]
    assert (await bob.conversation(conv)).json()["last_seq"] == 6


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "长" * 5001}, "too_long"),
        ({"text": "   "}, "empty_message"),
        ({"text": "hi", "client_msg_id": "has space"}, "invalid_client_msg_id"),
        ({"text": "hi", "reply_to_seq": 99}, "no_such_message"),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_stored(
    pals: Any, body: dict[str, Any], code: str
) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    payload = {"client_msg_id": "x1", **body}
    r = await alice.c.post(
        f"/api/quanzi/v1/conversations/{conv}/messages", json=payload, headers=alice.user.auth
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    assert (await alice.messages(conv)).json()["items"] == []
    assert (await alice.say(conv))["seq"] == 1  # no seq was used up


async def test_image_messages_are_seen_by_members_only(pals: Any) -> None:
    alice, bob, carol = pals
    conv = await alice.direct_id(bob)
    upload = await alice.c.post(
        "/api/quanzi/v1/media",
        files={"file": ("p.png", encode(picture(), "PNG"))},
        headers=alice.user.auth,
    )
    media_id = upload.json()["id"]
    sent = await alice.say(conv, "", media_id=media_id)
    assert (sent["kind"], sent["media_id"]) == ("image", media_id)
    described = f"/api/quanzi/v1/media/{media_id}"
    assert (await bob.c.get(described, headers=bob.user.auth)).status_code == 200
    assert (await carol.c.get(described, headers=carol.user.auth)).status_code == 404
    shown = (await bob.messages(conv)).json()["items"][0]
    assert (shown["media_url"], shown["thumbnail_url"]) == (
        sent["media_url"],
        sent["thumbnail_url"],
    )
    assert (await load_file(bob.c, shown["thumbnail_url"])).status_code == 200
    again = await alice.send(conv, "", media_id=media_id)
    assert again.status_code == 422  # one image, one message
    theirs = await bob.send(conv, "", media_id=media_id)
    assert theirs.status_code == 404


async def test_recall_within_the_window(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv, "oops, wrong chat")
    r = await alice.call("POST", f"/conversations/{conv}/messages/1/recall")
    assert r.status_code == 200
    assert (r.json()["kind"], r.json()["reply_to_seq"], r.json()["seq"]) == ("recall", 1, 2)
    items = (await bob.messages(conv)).json()["items"]
    assert [(m["seq"], m["kind"], m["text"]) for m in items] == [
        (1, "recalled", ""),
        (2, "recall", ""),
    ]


async def test_recall_rules(app: FastAPI, pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv)
    theirs = await bob.call("POST", f"/conversations/{conv}/messages/1/recall")
    assert theirs.status_code == 403
    missing = await alice.call("POST", f"/conversations/{conv}/messages/9/recall")
    assert missing.status_code == 404
    app.state.services.settings.recall_seconds = 0
    late = await alice.call("POST", f"/conversations/{conv}/messages/1/recall")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "recall_window_passed"
    assert await bob.texts(conv) == ["你好"]


async def test_recalled_image_is_hidden_again(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    upload = await alice.c.post(
        "/api/quanzi/v1/media",
        files={"file": ("p.png", encode(picture(), "PNG"))},
        headers=alice.user.auth,
    )
    media_id = upload.json()["id"]
    sent = await alice.say(conv, "", media_id=media_id)
    await alice.call("POST", f"/conversations/{conv}/messages/1/recall")
    described = f"/api/quanzi/v1/media/{media_id}"
    assert (await bob.c.get(described, headers=bob.user.auth)).status_code == 404
    await assert_missing_file(bob.c, sent["media_url"])


async def test_outsiders_get_the_same_404_as_for_nothing(pals: Any) -> None:
    alice, bob, carol = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv)
    for path, method in [
        (f"/conversations/{conv}", "GET"),
        (f"/conversations/{conv}/messages", "GET"),
        (f"/conversations/{conv}/members", "GET"),
    ]:
        hidden = await carol.call(method, path)
        missing = await carol.call(method, path.replace(conv, "123456789"))
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.json() == missing.json()
    sent = await carol.send(conv)
    nothing = await carol.send("123456789")
    assert sent.status_code == nothing.status_code == 404
    assert sent.json() == nothing.json()
    assert (await alice.messages(conv)).json()["items"][-1]["seq"] == 1  # nothing was added


# Read state and sync


async def test_read_cursor_and_unread_counts(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await bob.say(conv, "mine does not count")
    for i in range(3):
        await alice.say(conv, f"m{i}")
    assert (await bob.unread())["total"] == 3
    r = await bob.read(conv, 3)
    assert r.json() == {"read_seq": 3, "unread": 1}
    back = await bob.read(conv, 1)  # never moves back
    assert back.json()["read_seq"] == 3
    far = await bob.read(conv, 999)  # nothing beyond the last message
    assert far.json() == {"read_seq": 4, "unread": 0}
    assert (await alice.unread())["total"] == 0  # own messages are read
    await alice.say(conv, "one more")
    await bob.say(conv, "answering reads the chat")  # as on WeChat
    assert (await bob.unread())["total"] == 0


async def test_muted_conversations_are_left_out_of_the_total(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv)
    r = await bob.call("PATCH", f"/conversations/{conv}/me", json={"muted": True, "pinned": True})
    assert (r.json()["me"]["muted"], r.json()["me"]["pinned"]) == (True, True)
    unread = await bob.unread()
    assert unread["total"] == 0
    assert unread["conversations"][conv] == 1


async def test_changed_since_returns_only_what_changed(pals: Any, people: Personas) -> None:
    alice, bob, _ = pals
    dave = Chat(people.client, await people.register("dave"))
    await bob.befriend(dave)
    quiet = await bob.direct_id(dave)
    busy = await bob.direct_id(alice)
    first = await bob.conversations()
    assert {c["id"] for c in first["items"]} == {quiet, busy}
    await alice.say(busy, "news")
    # Within the overlap margin the quiet chat may be repeated; the busy one must be there.
    changed = await bob.conversations(changed_since=first["sync_version"])
    got = {c["id"]: c for c in changed["items"]}
    assert got[busy]["last_seq"] == 1
    assert got[busy]["unread"] == 1


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


async def _upload(who: Chat) -> str:
    r = await who.c.post(
        "/api/quanzi/v1/media",
        files={"file": ("g.png", encode(picture(), "PNG"))},
        headers=who.user.auth,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _group_of_four(people: Personas) -> tuple[Chat, Chat, Chat, Chat, str]:
    owner, bob, carol, dave = await people_with_chat(people, "owner", "bob", "carol", "dave")
    for f in (bob, carol, dave):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol, name="旧名字", announcement="旧公告")
    return owner, bob, carol, dave, conv


async def _change_everything(owner: Chat, carol: Chat, dave: Chat, conv: str) -> str:
    """Rename, new announcement and picture, a new member, a new owner, then dissolution."""
    avatar = await _upload(owner)
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
    before = await _upload(owner)
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


# @all


async def _chat_mentions(who: Chat) -> list[dict[str, Any]]:
    items = (await who.call("GET", "/notifications")).json()["items"]
    return [n for n in items if n["kind"] == "chat_mention"]


async def test_at_all_notifies_every_member_as_a_mention_does_even_when_muted(
    people: Personas,
) -> None:
    owner, bob, carol, dave = await people_with_chat(people, "owner", "bob", "carol", "dave")
    for f in (bob, carol, dave):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol, dave)
    await bob.call("PATCH", f"/conversations/{conv}/me", json={"muted": True})
    await owner.call(
        "PUT", f"/conversations/{conv}/members/{carol.id}/role", json={"role": "admin"}
    )
    by_owner = await owner.say(conv, "@所有人 周六开会", mention_all=True)
    by_admin = await carol.say(conv, "@所有人 记得带伞", mention_all=True)
    expected = {
        bob: [(carol.id, by_admin["seq"]), (owner.id, by_owner["seq"])],
        carol: [(owner.id, by_owner["seq"])],
        dave: [(carol.id, by_admin["seq"]), (owner.id, by_owner["seq"])],
        owner: [(carol.id, by_admin["seq"])],
    }
    for who, mentions in expected.items():
        got = await _chat_mentions(who)
        assert [(n["actor_id"], n["data"]["seq"]) for n in got] == mentions, who.user.handle
        assert all(
            n["data"] == {"conversation_id": conv, "seq": n["data"]["seq"], "all": True}
            for n in got
        )


async def test_at_all_from_a_plain_member_is_refused_and_its_text_notifies_no_one(
    people: Personas,
) -> None:
    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    for f in (bob, carol):
        await owner.befriend(f)
    conv = await owner.group_id(bob, carol)
    refused = await bob.send(conv, "@所有人 开会", mention_all=True)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_an_admin"
    plain = await bob.say(conv, "@所有人 开会")
    assert (plain["mentions_all"], plain["mentions"]) == (False, [])
    for who in (owner, carol):
        assert await _chat_mentions(who) == []


async def test_at_all_reaches_every_member_however_many_statements_it_takes(
    people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quanzi.domain.notifications import actions as notifications

    monkeypatch.setattr(notifications, "NOTIFY_CHUNK", 2)
    owner, *others = await people_with_chat(people, "owner", *[f"member{i}" for i in range(5)])
    for f in others:
        await owner.befriend(f)
    conv = await owner.group_id(*others)
    sent = await owner.say(conv, "@所有人", mention_all=True, mentions=[others[0].id])
    for who in others:
        [note] = await _chat_mentions(who)
        assert (note["actor_id"], note["data"]["seq"]) == (owner.id, sent["seq"])


# Who may open a direct chat: the rule of sending, asked when opening


def _answer(r: Any) -> tuple[int, str | None]:
    body = r.json()
    return r.status_code, body["error"]["code"] if "error" in body else None


async def test_opening_a_chat_one_may_not_write_in_answers_as_sending_would(pals: Any) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    await alice.say(conv, "still friends")
    assert (await alice.call("DELETE", f"/friends/{bob.id}")).status_code == 204
    for who, other in ((alice, bob), (bob, alice)):
        opened, sent = await who.direct(other), await who.send(conv)
        assert _answer(opened) == _answer(sent) == (403, "cannot_message"), who.user.handle
    await bob.call("PATCH", "/accounts/me", json={"privacy": {"allow_strangers": True}})
    assert await alice.direct_id(bob) == conv  # may write to Bob again: the same chat
    assert (await alice.send(conv)).status_code == 201
    assert _answer(await bob.direct(alice)) == (403, "cannot_message")  # not the other way


@pytest.mark.parametrize("strangers_allowed", [False, True])
async def test_a_block_stops_direct_chats_both_ways(pals: Any, strangers_allowed: bool) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    for who in (alice, bob):
        await who.call(
            "PATCH", "/accounts/me", json={"privacy": {"allow_strangers": strangers_allowed}}
        )
    assert (await alice.call("PUT", f"/blocks/{bob.id}")).status_code == 204
    # The blocker is told why, opening as sending.
    assert _answer(await alice.direct(bob)) == _answer(await alice.send(conv)) == (409, "blocking")
    # To the blocked the blocker is missing; in the chat they already had, a send is refused
    # as a stranger's would be.
    hidden = await bob.direct(alice)
    missing = await bob.c.post(
        "/api/quanzi/v1/conversations/direct",
        json={"account_id": "123456789"},
        headers=bob.user.auth,
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert _answer(await bob.send(conv)) == (403, "cannot_message")
    assert (await alice.call("DELETE", f"/blocks/{bob.id}")).status_code == 204
    assert await bob.direct_id(alice) == conv  # unblocking restores the chat as it was


async def test_strangers_write_only_to_those_who_allow_it_whatever_friend_verification(
    pals: Any,
) -> None:
    alice, _, carol = pals
    await carol.call("PATCH", "/accounts/me", json={"privacy": {"add_needs_verification": False}})
    assert _answer(await alice.direct(carol)) == (403, "cannot_message")
    await alice.befriend(carol)  # made friends at once: Carol asks for no verification
    conv = await alice.direct_id(carol)
    assert (await carol.send(conv)).status_code == 201


# Blocks inside a shared group


@pytest.fixture
async def feud(people: Personas) -> tuple[Chat, Chat, Chat, str]:
    """Alice blocked Bob; both are in Owner's group (Alice an administrator)."""
    owner, alice, bob = await people_with_chat(people, "owner", "alice", "bob")
    for f in (alice, bob):
        await owner.befriend(f)
    await alice.befriend(bob)
    conv = await owner.group_id(alice, bob)
    await owner.call(
        "PUT", f"/conversations/{conv}/members/{alice.id}/role", json={"role": "admin"}
    )
    assert (await alice.call("PUT", f"/blocks/{bob.id}")).status_code == 204
    return owner, alice, bob, conv


async def test_a_block_leaves_group_messages_flowing_both_ways(feud: Any) -> None:
    _, alice, bob, conv = feud
    await alice.say(conv, "from the blocker")
    await bob.say(conv, "from the blocked")
    for who in (alice, bob):
        assert await who.texts(conv) == ["from the blocker", "from the blocked"]


async def test_a_mention_across_a_block_is_plain_text_both_ways(feud: Any) -> None:
    owner, alice, bob, conv = feud
    for who, other in ((bob, alice), (alice, bob)):
        sent = await who.say(conv, "@你", mentions=[other.id, owner.id])
        assert sent["mentions"] == [owner.id]
        assert await _chat_mentions(other) == []
    assert len(await _chat_mentions(owner)) == 2


async def test_at_all_skips_only_those_with_a_block_with_the_sender(feud: Any) -> None:
    owner, alice, bob, conv = feud
    await alice.say(conv, "@所有人", mention_all=True)
    assert await _chat_mentions(bob) == []
    assert [n["actor_id"] for n in await _chat_mentions(owner)] == [alice.id]
    await owner.say(conv, "@所有人", mention_all=True)
    for who in (alice, bob):
        assert [n["actor_id"] for n in await _chat_mentions(who)] == [owner.id]


async def test_neither_side_of_a_block_can_bring_the_other_into_a_group(feud: Any) -> None:
    _, alice, bob, _ = feud
    for who, other in ((alice, bob), (bob, alice)):
        refused = await who.group(other)
        assert _answer(refused) == (422, "not_a_friend"), who.user.handle
