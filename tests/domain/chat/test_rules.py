"""Who may message whom (domain/chat/rules.py): friends, strangers who allow it, blocks, and
opening a direct chat, which asks the rule of sending; a block inside a shared group."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chat_helpers import Chat, chat_mentions, people_with_chat
from tests.helpers import Personas

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
        assert await chat_mentions(other) == []
    assert len(await chat_mentions(owner)) == 2


async def test_at_all_skips_only_those_with_a_block_with_the_sender(feud: Any) -> None:
    owner, alice, bob, conv = feud
    await alice.say(conv, "@所有人", mention_all=True)
    assert await chat_mentions(bob) == []
    assert [n["actor_id"] for n in await chat_mentions(owner)] == [alice.id]
    await owner.say(conv, "@所有人", mention_all=True)
    for who in (alice, bob):
        assert [n["actor_id"] for n in await chat_mentions(who)] == [owner.id]


async def test_neither_side_of_a_block_can_bring_the_other_into_a_group(feud: Any) -> None:
    _, alice, bob, _ = feud
    for who, other in ((alice, bob), (bob, alice)):
        refused = await who.group(other)
        assert _answer(refused) == (422, "not_a_friend"), who.user.handle
