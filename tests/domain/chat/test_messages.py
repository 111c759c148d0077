"""A member's writes on messages (domain/chat/messages.py): recall, the read cursor and unread
counts, and sync of what changed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.chat_helpers import Chat
from tests.helpers import Personas, assert_missing_file, encode, picture

# Recall


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
