"""Forwarding messages (domain/chat/forward.py): one by one or merged into a chat record,
only what the forwarder may read, under the send rules of the target chat, idempotent, with
the record's pictures copied and held by it."""

from __future__ import annotations

from typing import Any

from tests.chat_helpers import Chat
from tests.helpers import PASSWORD, assert_missing_file, load_file


async def forward(
    who: Chat, to: str, source: str, seqs: list[int], *, merged: bool, key: str = "fw1"
) -> Any:
    return await who.call(
        "POST",
        f"/conversations/{to}/forward",
        json={"from_conversation_id": source, "seqs": seqs, "merged": merged, "client_msg_id": key},
    )


async def _three(alice: Chat, bob: Chat) -> tuple[str, str]:
    """A direct chat of Alice and Bob with three messages (the second a picture of Bob's);
    and a group of the two."""
    direct = await alice.direct_id(bob)
    await alice.say(direct, "one")
    await bob.say(direct, "two", media_id=await bob.upload())
    await alice.say(direct, "three")
    return direct, await alice.group_id(bob)


async def test_merged_record_snapshots_the_messages_and_holds_copies(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    r = await forward(alice, group, direct, [3, 1, 2], merged=True)
    assert r.status_code == 201, r.text
    [sent] = r.json()["items"]
    assert sent["kind"] == "record"
    seen = (await bob.messages(group)).json()["items"][-1]
    assert seen["id"] == sent["id"]
    record = seen["record"]
    assert record["title"] == {"group": False, "names": ["Alice", "Bob"]}
    items = record["items"]
    assert [(i["name"], i["kind"], i["text"]) for i in items] == [
        ("Alice", "text", "one"),
        ("Bob", "image", "two"),
        ("Alice", "text", "three"),
    ]
    original = (await bob.messages(direct)).json()["items"][1]
    assert items[1]["media_id"] != original["media_id"]  # a copy, which the record holds
    assert (await load_file(bob.c, items[1]["thumbnail_url"])).status_code == 200
    described = await bob.call("GET", f"/media/{items[1]['media_id']}")
    assert described.status_code == 200
    assert described.json()["url"] == items[1]["media_url"]
    # the last message in the chat list is said as a record
    assert (await bob.conversation(group)).json()["last_message"]["kind"] == "record"


async def test_one_by_one_sends_each_as_a_message(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    r = await forward(alice, group, direct, [1, 2, 3], merged=False)
    assert r.status_code == 201, r.text
    items = (await bob.messages(group)).json()["items"][-3:]
    assert [(m["sender_id"], m["kind"], m["text"]) for m in items] == [
        (alice.id, "text", "one"),
        (alice.id, "image", "two"),
        (alice.id, "text", "three"),
    ]
    assert (await load_file(bob.c, items[1]["thumbnail_url"])).status_code == 200


async def test_a_retried_forward_sends_nothing_more(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    for merged in (True, False):
        key = f"k{merged}"
        first = await forward(alice, group, direct, [1, 2], merged=merged, key=key)
        again = await forward(alice, group, direct, [1, 2], merged=merged, key=key)
        assert first.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert [m["id"] for m in again.json()["items"]] == [m["id"] for m in first.json()["items"]]
    kinds = [m["kind"] for m in (await bob.messages(group)).json()["items"]]
    assert kinds.count("record") == 1 and kinds.count("text") == 1 and kinds.count("image") == 1


async def test_only_messages_the_forwarder_may_read(pals: Any) -> None:
    alice, bob, carol = pals
    direct, group = await _three(alice, bob)
    await alice.call("POST", f"/conversations/{direct}/messages/3/recall")
    await bob.befriend(carol)
    carols = await carol.direct_id(bob)
    # recalled (3), the recall notice (4), a group's system notice, beyond the end
    for source, seq in ((direct, 3), (direct, 4), (group, 1), (direct, 99)):
        r = await forward(alice, group, source, [seq], merged=True)
        assert r.status_code == 404, (source, seq)
        assert r.json()["error"]["details"]["seq"] == seq
    # a chat Carol is not in, as source and as target
    assert (await forward(carol, carols, direct, [1], merged=True)).status_code == 404
    assert (await forward(carol, group, carols, [1], merged=True)).status_code == 404
    # the empty selection, too many, a bad id
    assert (await forward(alice, group, direct, [], merged=True)).status_code == 422
    assert (
        await forward(alice, group, direct, list(range(1, 102)), merged=True)
    ).status_code == 422
    bad = await forward(alice, group, direct, [1], merged=True, key="a b")
    assert bad.json()["error"]["code"] == "invalid_client_msg_id"
    assert [m["kind"] for m in (await bob.messages(group)).json()["items"]] == ["system"]


async def test_messages_before_joining_cannot_be_forwarded(pals: Any) -> None:
    alice, bob, carol = pals
    await alice.befriend(carol)
    group = await alice.group_id(bob)
    await bob.say(group, "before carol")
    invited = await alice.call(
        "POST", f"/conversations/{group}/members", json={"account_ids": [carol.id]}
    )
    assert invited.status_code in (200, 201), invited.text
    carols = await carol.direct_id(alice)
    r = await forward(carol, carols, group, [2], merged=True)
    assert r.status_code == 404


async def test_target_send_rules_apply(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    left = await bob.call("POST", f"/conversations/{group}/leave")
    assert left.status_code in (200, 204), left.text
    r = await forward(bob, group, direct, [1], merged=True)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_a_member"


async def test_recalling_a_record_ends_its_pictures(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    record = (await forward(alice, group, direct, [2], merged=True)).json()["items"][0]
    url = record["record"]["items"][0]["media_url"]
    assert (await load_file(bob.c, url)).status_code == 200
    r = await alice.call("POST", f"/conversations/{group}/messages/{record['seq']}/recall")
    assert r.status_code == 200
    await assert_missing_file(bob.c, url)
    seen = [m for m in (await bob.messages(group)).json()["items"] if m["id"] == record["id"]]
    assert seen[0]["kind"] == "recalled" and seen[0]["record"] is None


async def test_nested_records_keep_one_level(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    first = (await forward(alice, group, direct, [1, 2], merged=True)).json()["items"][0]
    await bob.say(group, "look")
    second = await forward(bob, direct, group, [first["seq"], first["seq"] + 1], merged=True)
    assert second.status_code == 201, second.text
    outer = second.json()["items"][0]["record"]
    assert outer["title"] == {"group": True, "names": []}
    inner = outer["items"][0]
    assert (inner["name"], inner["kind"]) == ("Alice", "record")
    assert [i["text"] for i in inner["record"]["items"]] == ["one", "two"]
    copied = inner["record"]["items"][1]
    assert copied["media_id"] != first["record"]["items"][1]["media_id"]
    assert (await load_file(alice.c, copied["thumbnail_url"])).status_code == 200
    # forwarded once more, the innermost record is a "[Chat history]" line
    third = await forward(alice, group, direct, [4], merged=True, key="third")
    assert third.status_code == 201, third.text
    line = third.json()["items"][0]["record"]["items"][0]["record"]["items"][0]
    assert (line["kind"], line["record"]) == ("record", None)
    # one by one, a record stays the record it was
    again = await forward(alice, group, direct, [4], merged=False, key="one")
    assert again.json()["items"][0]["record"]["items"][0]["record"] is not None


async def test_erasing_the_forwarder_ends_the_record(pals: Any) -> None:
    alice, bob, _ = pals
    direct, group = await _three(alice, bob)
    record = (await forward(alice, group, direct, [2], merged=True)).json()["items"][0]
    url = record["record"]["items"][0]["media_url"]
    erased = await alice.c.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": PASSWORD}, headers=alice.user.auth
    )
    assert erased.status_code in (200, 202, 204), erased.text
    await assert_missing_file(bob.c, url)
    seen = [m for m in (await bob.messages(group)).json()["items"] if m["id"] == record["id"]]
    assert seen[0]["kind"] == "recalled"
