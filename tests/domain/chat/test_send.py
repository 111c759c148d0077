"""Sending (domain/chat/send.py, append.py): retries, one gap-free sequence, refused messages,
images, outsiders, mentions and @all."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.chat_helpers import chat_mentions, people_with_chat
from tests.helpers import Personas, encode, load_file, picture

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


# @all


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
        got = await chat_mentions(who)
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
        assert await chat_mentions(who) == []


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
        [note] = await chat_mentions(who)
        assert (note["actor_id"], note["data"]["seq"]) == (owner.id, sent["seq"])
