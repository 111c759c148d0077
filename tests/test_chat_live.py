"""Chats live: delivery to every device, sending on the stream, typing, concurrency, catch-up
after a disconnect."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.chat_helpers import Chat, people_with_chat
from tests.helpers import Personas, User


def stream_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/api/quanzi/v1/stream"


async def open_stream(base: str, user: User) -> ClientConnection:
    ws = await connect(stream_url(base), additional_headers=user.auth, max_queue=None)
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws


async def frames_of(
    ws: ClientConnection, kind: str, count: int, timeout: float = 10
) -> list[dict[str, Any]]:
    """The payloads of the next `count` frames of type `kind` (others are skipped)."""
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                got.append(frame["payload"])
    return got


async def nothing_of(ws: ClientConnection, *kinds: str, wait: float = 0.3) -> None:
    """No frame of these types comes in `wait` seconds (others are skipped)."""
    try:
        async with asyncio.timeout(wait):
            while True:
                frame = json.loads(await ws.recv())
                assert frame["type"] not in kinds, frame
    except TimeoutError:
        pass


@pytest.fixture
async def pair(people: Personas) -> tuple[Chat, Chat, str]:
    alice, bob = await people_with_chat(people, "alice", "bob")
    await alice.befriend(bob)
    return alice, bob, await alice.direct_id(bob)


async def test_a_message_reaches_every_device_of_every_member_once(
    live: str, pair: Any, people: Personas
) -> None:
    alice, bob, conv = pair
    alice_tablet = await people.login("alice", device="tablet")
    sockets = [await open_stream(live, u) for u in (alice.user, alice_tablet, bob.user)]
    sent = await alice.say(conv, "大家好")
    for ws in sockets:
        [message] = await frames_of(ws, "message.new", 1)
        assert (message["seq"], message["text"], message["conversation_id"]) == (
            sent["seq"],
            "大家好",
            conv,
        )
        await nothing_of(ws, "message.new")
    for ws in sockets:
        await ws.close()


async def test_send_on_the_stream_with_acks_and_retries(live: str, pair: Any) -> None:
    alice, bob, conv = pair
    ws = await open_stream(live, alice.user)
    bob_ws = await open_stream(live, bob.user)
    for i in range(5):
        await ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation_id": conv,
                    "client_msg_id": f"s{i}",
                    "text": f"第{i}条",
                }
            )
        )
    acks = await frames_of(ws, "message.ack", 5)
    assert [a["message"]["seq"] for a in acks] == [1, 2, 3, 4, 5]  # in the order sent
    assert [a["client_msg_id"] for a in acks] == [f"s{i}" for i in range(5)]
    await ws.send(
        json.dumps(
            {
                "type": "message.send",
                "conversation_id": conv,
                "client_msg_id": "s0",
                "text": "第0条",
            }
        )
    )
    [retry] = await frames_of(ws, "message.ack", 1)
    assert (retry["replayed"], retry["message"]["seq"]) == (True, 1)
    await ws.send(
        json.dumps(
            {"type": "message.send", "conversation_id": "123456", "client_msg_id": "x", "text": "?"}
        )
    )
    [error] = await frames_of(ws, "message.error", 1)
    assert (error["code"], error["client_msg_id"]) == ("not_found", "x")
    await ws.send(
        json.dumps({"type": "message.send", "conversation_id": conv, "client_msg_id": "y"})
    )
    [error] = await frames_of(ws, "message.error", 1)
    assert error["code"] == "empty_message"
    got = await frames_of(bob_ws, "message.new", 5)
    assert [m["text"] for m in got] == [f"第{i}条" for i in range(5)]
    await nothing_of(bob_ws, "message.new")  # the retry was not delivered again
    await ws.close()
    await bob_ws.close()


async def test_typing_reaches_the_others_and_honours_privacy(live: str, pair: Any) -> None:
    alice, bob, conv = pair
    alice_ws = await open_stream(live, alice.user)
    bob_ws = await open_stream(live, bob.user)
    await bob_ws.send(json.dumps({"type": "typing", "conversation_id": conv}))
    [typing] = await frames_of(alice_ws, "typing", 1)
    assert typing == {"conversation_id": conv, "account_id": bob.id}
    await nothing_of(bob_ws, "typing")  # not echoed to the typist
    await bob.call("PATCH", "/accounts/me", json={"privacy": {"show_presence": False}})
    await asyncio.sleep(2.1)  # past the per-socket typing interval
    await bob_ws.send(json.dumps({"type": "typing", "conversation_id": conv}))
    await nothing_of(alice_ws, "typing", wait=0.5)
    await alice_ws.close()
    await bob_ws.close()


async def test_read_on_the_stream_updates_my_other_devices(
    live: str, pair: Any, people: Personas
) -> None:
    alice, bob, conv = pair
    await alice.say(conv, "one")
    await alice.say(conv, "two")
    phone = await open_stream(live, bob.user)
    laptop = await open_stream(live, await people.login("bob", device="laptop"))
    await phone.send(json.dumps({"type": "read", "conversation_id": conv, "seq": 2}))
    for ws in (phone, laptop):
        [read] = await frames_of(ws, "conversation.read", 1)
        assert read == {"conversation_id": conv, "read_seq": 2, "unread": 0, "total_unread": 0}
    await phone.close()
    await laptop.close()


async def test_members_who_left_get_nothing_live(live: str, people: Personas) -> None:
    owner, bob = await people_with_chat(people, "owner", "bob")
    await owner.befriend(bob)
    conv = await owner.group_id(bob)
    ws = await open_stream(live, bob.user)
    await owner.say(conv, "hello")
    await frames_of(ws, "message.new", 1)
    await bob.call("POST", f"/conversations/{conv}/leave")
    [left] = await frames_of(ws, "message.new", 1)
    assert left["system"]["event"] == "left"
    await owner.say(conv, "after you left")
    await nothing_of(ws, "message.new")
    await ws.close()


async def test_removed_member_gets_no_event_of_the_group_after(live: str, people: Personas) -> None:
    """Nothing about the group reaches a removed member's sockets: no message, no change of
    name or members, no typing."""
    owner, bob, carol = await people_with_chat(people, "owner", "bob", "carol")
    for f in (bob, carol):
        await owner.befriend(f)
    conv = await owner.group_id(bob)
    ws = await open_stream(live, bob.user)
    owner_ws = await open_stream(live, owner.user)
    carol_ws = await open_stream(live, carol.user)
    await owner.call("DELETE", f"/conversations/{conv}/members/{bob.id}")
    [removed] = await frames_of(ws, "message.new", 1)
    assert removed["system"]["event"] == "removed"  # the last thing Bob hears of it
    await owner.call("PATCH", f"/conversations/{conv}", json={"name": "新名字"})
    await owner.call("POST", f"/conversations/{conv}/members", json={"account_ids": [carol.id]})
    await owner.say(conv, "after you went")
    await owner_ws.send(json.dumps({"type": "typing", "conversation_id": conv}))
    [typing] = await frames_of(carol_ws, "typing", 1)  # members get it
    assert typing["account_id"] == owner.id
    await nothing_of(ws, "message.new", "conversation.updated", "typing")
    for socket in (ws, owner_ws, carol_ws):
        await socket.close()


async def test_a_former_members_own_changes_carry_the_version_they_are_shown(
    live: str, people: Personas
) -> None:
    """Muting a group one left tells one's devices the version of the group as one sees it,
    not the group's latest: that would tell when it was last active."""
    owner, bob = await people_with_chat(people, "owner", "bob")
    await owner.befriend(bob)
    conv = await owner.group_id(bob)
    await bob.call("POST", f"/conversations/{conv}/leave")
    await owner.say(conv, "after you went")
    ws = await open_stream(live, bob.user)
    muted = await bob.call("PATCH", f"/conversations/{conv}/me", json={"muted": True})
    [updated] = await frames_of(ws, "conversation.updated", 1)
    assert updated == {"conversation_id": conv, "version": muted.json()["version"]}
    await ws.close()


async def test_notifications_arrive_live(live: str, people: Personas) -> None:
    alice, bob = await people_with_chat(people, "alice", "bob")
    ws = await open_stream(live, bob.user)
    await alice.c.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": bob.id, "greeting": "嗨"},
        headers=alice.user.auth,
    )
    [note] = await frames_of(ws, "notification.new", 1)
    assert (note["kind"], note["actor_id"], note["data"]["greeting"]) == (
        "friend_request",
        alice.id,
        "嗨",
    )
    await ws.close()


async def test_fifty_concurrent_senders_get_contiguous_unique_seqs(
    live: str, people: Personas
) -> None:
    """50 members send at once into one group: the seqs are 1..50 without gaps or repeats,
    and every connected member sees every message once, in seq order."""
    members = await people_with_chat(people, "owner", *[f"member{i:02d}" for i in range(49)])
    owner, others = members[0], members[1:]
    for m in others:
        await owner.befriend(m)
    conv = await owner.group_id(*others)
    watchers = [await open_stream(live, m.user) for m in (owner, others[0], others[-1])]
    for ws in watchers:
        await frames_of(ws, "message.new", 0)
    async with httpx.AsyncClient(base_url=live, timeout=30) as c:
        responses = await asyncio.gather(
            *[
                c.post(
                    f"/api/quanzi/v1/conversations/{conv}/messages",
                    json={"client_msg_id": f"burst-{i}", "text": f"#{i}"},
                    headers=m.user.auth,
                )
                for i, m in enumerate(members)
            ]
        )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses[:3]]
    seqs = sorted(r.json()["seq"] for r in responses)
    first = seqs[0]
    assert seqs == list(range(first, first + 50))
    for ws in watchers:
        got = await frames_of(ws, "message.new", 50)
        assert [m["seq"] for m in got] == seqs  # each once, in order
        await nothing_of(ws, "message.new")
        await ws.close()


async def test_reconnect_catches_up_exactly_what_was_missed(live: str, pair: Any) -> None:
    """A client goes away, 1,000 messages are sent, it comes back: listing what changed and
    reading after the seq it holds gives exactly the missed messages, in order, once."""
    alice, bob, conv = pair
    ws = await open_stream(live, bob.user)
    await alice.say(conv, "before")
    [seen] = await frames_of(ws, "message.new", 1)
    held_seq = seen["seq"]
    sync = (await bob.conversations())["sync_version"]
    await ws.close()

    sender = await open_stream(live, alice.user)  # Alice sends on her stream
    acks: list[dict[str, Any]] = []
    for start in range(0, 1000, 100):
        for i in range(start, start + 100):
            await sender.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation_id": conv,
                        "client_msg_id": f"gone-{i}",
                        "text": f"missed {i}",
                    }
                )
            )
        acks += await frames_of(sender, "message.ack", 100, timeout=30)
    assert {a["client_msg_id"] for a in acks} == {f"gone-{i}" for i in range(1000)}
    await sender.close()

    ws = await open_stream(live, bob.user)
    changed = await bob.conversations(changed_since=sync)
    [mine] = [c for c in changed["items"] if c["id"] == conv]
    assert mine["last_seq"] == held_seq + 1000
    caught: list[dict[str, Any]] = []
    after = held_seq
    while after < mine["last_seq"]:
        page = (await bob.messages(conv, after_seq=after, limit=500)).json()["items"]
        caught += page
        after = page[-1]["seq"]
    assert [m["seq"] for m in caught] == list(range(held_seq + 1, held_seq + 1001))
    assert sorted(m["text"] for m in caught) == sorted(f"missed {i}" for i in range(1000))
    await alice.say(conv, "live again")
    [live_message] = await frames_of(ws, "message.new", 1)
    assert live_message["seq"] == held_seq + 1001
    await ws.close()


async def test_presence_is_shown_to_friends_only_and_honours_privacy(
    live: str, people: Personas
) -> None:
    alice, bob, carol = await people_with_chat(people, "alice", "bob", "carol")
    await alice.befriend(bob)

    async def online(viewer: Chat, who: Chat) -> bool | None:
        r = await viewer.call("GET", "/presence", params={"ids": who.id})
        found = {p["account_id"]: p["online"] for p in r.json()["items"]}
        return found.get(who.id)

    watcher = await open_stream(live, alice.user)
    phone = await open_stream(live, bob.user)
    [came] = await frames_of(watcher, "presence", 1)
    assert came == {"account_id": bob.id, "online": True}
    assert await online(alice, bob) is True
    assert await online(carol, bob) is None  # not a friend: nothing said
    laptop = await open_stream(live, await people.login("bob", device="laptop"))
    await laptop.close()
    await nothing_of(watcher, "presence")  # still online on the phone
    await phone.close()
    [went] = await frames_of(watcher, "presence", 1)
    assert went == {"account_id": bob.id, "online": False}
    assert await online(alice, bob) is False
    await bob.call("PATCH", "/accounts/me", json={"privacy": {"show_presence": False}})
    phone = await open_stream(live, bob.user)
    await nothing_of(watcher, "presence")
    assert await online(alice, bob) is None
    await phone.close()
    await watcher.close()


async def test_presence_is_not_shown_across_a_block_either_way(live: str, people: Personas) -> None:
    """A block keeps the two friends' contacts, but neither learns that the other is online,
    live or by asking. Carol, a friend of both, shows that presence is flowing."""
    alice, bob, carol = await people_with_chat(people, "alice", "bob", "carol")
    for other in (bob, carol):
        await alice.befriend(other)
    await bob.befriend(carol)
    await alice.call("PUT", f"/blocks/{bob.id}")

    async def shown(viewer: Chat, who: Chat) -> list[dict[str, Any]]:
        r = await viewer.call("GET", "/presence", params={"ids": who.id})
        return list(r.json()["items"])

    alice_ws = await open_stream(live, alice.user)
    bob_ws = await open_stream(live, bob.user)  # Alice must not hear of it
    carol_ws = await open_stream(live, carol.user)
    [first] = await frames_of(alice_ws, "presence", 1)
    assert first == {"account_id": carol.id, "online": True}
    assert await shown(alice, bob) == await shown(bob, alice) == []
    assert await shown(alice, carol) == [{"account_id": carol.id, "online": True}]
    await alice_ws.close()  # Bob must not hear of it
    await carol_ws.close()
    heard = await frames_of(bob_ws, "presence", 2)
    assert heard == [
        {"account_id": carol.id, "online": True},
        {"account_id": carol.id, "online": False},
    ]
    await bob_ws.close()
