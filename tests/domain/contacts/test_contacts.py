"""Contacts: friend requests with greetings, remarks, labels, follows, blocks, search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from quanzi.db.models import FriendRequest
from tests.helpers import Personas, User


class Contacts:
    """The contacts API as a user sees it."""

    def __init__(self, client: httpx.AsyncClient, user: User) -> None:
        self.c = client
        self.user = user

    async def request(self, other: User, greeting: str = "你好", **extra: Any) -> httpx.Response:
        body = {"account_id": other.id, "greeting": greeting, **extra}
        return await self.c.post(
            "/api/quanzi/v1/friend-requests", json=body, headers=self.user.auth
        )

    async def incoming(self) -> list[dict[str, Any]]:
        r = await self.c.get("/api/quanzi/v1/friend-requests", headers=self.user.auth)
        return list(r.json()["items"])

    async def outgoing(self) -> list[dict[str, Any]]:
        r = await self.c.get(
            "/api/quanzi/v1/friend-requests",
            params={"direction": "outgoing"},
            headers=self.user.auth,
        )
        return list(r.json()["items"])

    async def accept(self, request_id: str, **body: Any) -> httpx.Response:
        return await self.c.post(
            f"/api/quanzi/v1/friend-requests/{request_id}/accept", json=body, headers=self.user.auth
        )

    async def friends(self) -> dict[str, dict[str, Any]]:
        r = await self.c.get("/api/quanzi/v1/friends", headers=self.user.auth)
        return {f["account"]["handle"]: f for f in r.json()["items"]}

    async def relationship(self, other: User) -> dict[str, Any]:
        r = await self.c.get(
            f"/api/quanzi/v1/accounts/{other.id}/relationship", headers=self.user.auth
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def privacy(self, **values: bool) -> None:
        r = await self.c.patch(
            "/api/quanzi/v1/accounts/me", json={"privacy": values}, headers=self.user.auth
        )
        assert r.status_code == 200

    async def befriend(self, other: User) -> None:
        sent = await self.request(other)
        assert sent.status_code == 201, sent.text
        if not sent.json()["friends"]:
            accepted = await Contacts(self.c, other).accept(sent.json()["request"]["id"])
            assert accepted.status_code == 200, accepted.text


@pytest.fixture
async def trio(people: Personas) -> tuple[Contacts, Contacts, Contacts]:
    a, b, c = [await people.register(h) for h in ("alice", "bob", "carol")]
    return Contacts(people.client, a), Contacts(people.client, b), Contacts(people.client, c)


# Friend requests


async def test_request_carries_a_greeting_and_waits_for_acceptance(trio: Any) -> None:
    a, b, _ = trio
    sent = await a.request(b.user, greeting="我是爱丽丝，我们在会上见过")
    assert sent.status_code == 201
    assert sent.json()["friends"] is False
    [incoming] = await b.incoming()
    assert incoming["greeting"] == "我是爱丽丝，我们在会上见过"
    assert incoming["account"]["handle"] == "alice"
    assert incoming["direction"] == "incoming"
    assert (await a.relationship(b.user))["request_sent"] is True
    assert (await b.relationship(a.user))["request_received"] is True
    assert "bob" not in await a.friends()


async def test_accepting_with_remark_and_labels(trio: Any) -> None:
    a, b, _ = trio
    label = await b.c.post("/api/quanzi/v1/labels", json={"name": "同学"}, headers=b.user.auth)
    sent = await a.request(b.user, remark="Bob from work")
    r = await b.accept(
        sent.json()["request"]["id"], remark="老同学", label_ids=[label.json()["id"]]
    )
    assert r.status_code == 200
    assert r.json()["remark"] == "老同学"
    bobs = await b.friends()
    assert bobs["alice"]["remark"] == "老同学"
    assert bobs["alice"]["label_ids"] == [label.json()["id"]]
    assert bobs["alice"]["mutual"] is True
    alices = await a.friends()
    assert alices["bob"]["remark"] == "Bob from work"  # the remark given when asking
    assert (await a.relationship(b.user))["friend"] is True
    assert await b.incoming() == []


async def test_repeating_a_request_updates_it_instead_of_piling_up(trio: Any) -> None:
    a, b, _ = trio
    first = await a.request(b.user, greeting="hi")
    second = await a.request(b.user, greeting="hello again")
    assert first.json()["request"]["id"] == second.json()["request"]["id"]
    [incoming] = await b.incoming()
    assert incoming["greeting"] == "hello again"
    count = await b.c.get("/api/quanzi/v1/notifications/unread_count", headers=b.user.auth)
    assert count.json()["count"] == 1


async def test_declining_is_silent_and_the_sender_may_ask_again(trio: Any) -> None:
    a, b, _ = trio
    sent = await a.request(b.user)
    r = await b.c.post(
        f"/api/quanzi/v1/friend-requests/{sent.json()['request']['id']}/decline",
        headers=b.user.auth,
    )
    assert r.status_code == 204
    assert await b.incoming() == []
    notifications = await a.c.get("/api/quanzi/v1/notifications", headers=a.user.auth)
    assert notifications.json()["items"] == []  # the sender is not told
    again = await a.request(b.user, greeting="second try")
    assert again.status_code == 201
    assert [r["greeting"] for r in await b.incoming()] == ["second try"]


async def test_no_verification_makes_friends_at_once(trio: Any) -> None:
    a, b, _ = trio
    await b.privacy(add_needs_verification=False)
    sent = await a.request(b.user)
    assert sent.json()["friends"] is True
    assert (await a.relationship(b.user))["friend"] is True
    kinds = (await b.c.get("/api/quanzi/v1/notifications", headers=b.user.auth)).json()["items"]
    assert [n["kind"] for n in kinds] == ["friend_accepted"]


async def test_asking_someone_who_asked_me_makes_friends(trio: Any) -> None:
    a, b, _ = trio
    await a.request(b.user)
    back = await b.request(a.user)
    assert back.json()["friends"] is True
    assert (await a.relationship(b.user))["friend"] is True
    assert await a.incoming() == [] and await b.incoming() == []


async def test_requests_expire(app: FastAPI, trio: Any) -> None:
    a, b, _ = trio
    sent = await a.request(b.user)
    async with app.state.services.write() as tx:
        await tx.session.execute(
            update(FriendRequest).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await b.incoming() == []
    r = await b.accept(sent.json()["request"]["id"])
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "request_not_pending"
    assert (await b.relationship(a.user))["request_received"] is False


async def test_bad_requests_are_refused(people: Personas, trio: Any) -> None:
    a, b, _ = trio
    assert (await a.request(a.user)).status_code == 422
    missing = await a.c.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": "12345678", "greeting": ""},
        headers=a.user.auth,
    )
    assert missing.status_code == 404
    long = await a.request(b.user, greeting="长" * 201)
    assert long.status_code == 422
    await a.befriend(b.user)
    again = await a.request(b.user)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_friends"
    # Only the receiver may accept.
    c = trio[2]
    sent = await a.request(c.user)
    assert (await a.accept(sent.json()["request"]["id"])).status_code == 404


# Friends


async def test_removing_a_friend_is_one_sided(trio: Any) -> None:
    a, b, _ = trio
    await a.befriend(b.user)
    r = await a.c.delete(f"/api/quanzi/v1/friends/{b.user.id}", headers=a.user.auth)
    assert r.status_code == 204
    assert "bob" not in await a.friends()
    bobs = await b.friends()
    assert bobs["alice"]["mutual"] is False  # Bob keeps Alice until he removes her too
    rel = await b.relationship(a.user)
    assert (rel["contact"], rel["friend"]) == (True, False)


async def test_asking_again_after_removing_makes_friends_at_once(trio: Any) -> None:
    a, b, _ = trio
    await a.befriend(b.user)
    await a.c.delete(f"/api/quanzi/v1/friends/{b.user.id}", headers=a.user.auth)
    again = await a.request(b.user)
    assert again.json()["friends"] is True  # Bob still had Alice in his contacts


async def test_remark_and_labels_of_a_friend(trio: Any) -> None:
    a, b, c = trio
    await a.befriend(b.user)
    work = (
        await a.c.post("/api/quanzi/v1/labels", json={"name": "工作"}, headers=a.user.auth)
    ).json()
    r = await a.c.patch(
        f"/api/quanzi/v1/friends/{b.user.id}",
        json={"remark": "鲍勃", "label_ids": [work["id"]]},
        headers=a.user.auth,
    )
    assert r.status_code == 200
    assert (r.json()["remark"], r.json()["label_ids"]) == ("鲍勃", [work["id"]])
    labels = (await a.c.get("/api/quanzi/v1/labels", headers=a.user.auth)).json()["items"]
    assert labels[0]["member_ids"] == [b.user.id]
    not_friend = await a.c.patch(
        f"/api/quanzi/v1/friends/{c.user.id}", json={"remark": "x"}, headers=a.user.auth
    )
    assert not_friend.status_code == 404
    too_long = await a.c.patch(
        f"/api/quanzi/v1/friends/{b.user.id}", json={"remark": "x" * 51}, headers=a.user.auth
    )
    assert too_long.status_code == 422


async def test_labels(trio: Any) -> None:
    a, b, c = trio
    await a.befriend(b.user)
    await a.befriend(c.user)
    r = await a.c.post(
        "/api/quanzi/v1/labels",
        json={"name": "家人", "member_ids": [b.user.id]},
        headers=a.user.auth,
    )
    assert r.status_code == 201
    label = r.json()
    dup = await a.c.post("/api/quanzi/v1/labels", json={"name": "家人"}, headers=a.user.auth)
    assert dup.status_code == 409
    renamed = await a.c.patch(
        f"/api/quanzi/v1/labels/{label['id']}",
        json={"name": "亲人", "member_ids": [b.user.id, c.user.id]},
        headers=a.user.auth,
    )
    assert renamed.json()["name"] == "亲人"
    assert sorted(renamed.json()["member_ids"]) == sorted([b.user.id, c.user.id])
    stranger = await a.c.patch(
        f"/api/quanzi/v1/labels/{label['id']}",
        json={"member_ids": [a.user.id]},
        headers=a.user.auth,
    )
    assert stranger.status_code == 422
    # Someone else's label does not exist for me.
    theirs = await b.c.patch(
        f"/api/quanzi/v1/labels/{label['id']}", json={"name": "x"}, headers=b.user.auth
    )
    assert theirs.status_code == 404
    # Removing a friend takes them out of my labels.
    await a.c.delete(f"/api/quanzi/v1/friends/{c.user.id}", headers=a.user.auth)
    labels = (await a.c.get("/api/quanzi/v1/labels", headers=a.user.auth)).json()["items"]
    assert labels[0]["member_ids"] == [b.user.id]
    assert (
        await a.c.delete(f"/api/quanzi/v1/labels/{label['id']}", headers=a.user.auth)
    ).status_code == 204
    assert (await a.c.get("/api/quanzi/v1/labels", headers=a.user.auth)).json()["items"] == []


# Follows


async def profile(c: httpx.AsyncClient, user: User) -> dict[str, Any]:
    return dict((await c.get(f"/api/quanzi/v1/accounts/{user.id}")).json())


async def test_follow_unfollow_and_counts(trio: Any) -> None:
    a, b, _ = trio
    await profile(a.c, b.user)  # warm the account cache: counts must still be fresh
    r = await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    assert r.json()["following"] is True
    assert (await profile(a.c, b.user))["followers_count"] == 1
    assert (await profile(a.c, a.user))["following_count"] == 1
    followers = await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}/followers")
    assert [f["account"]["handle"] for f in followers.json()["items"]] == ["alice"]
    following = await a.c.get(f"/api/quanzi/v1/accounts/{a.user.id}/following")
    assert [f["account"]["handle"] for f in following.json()["items"]] == ["bob"]
    assert (await b.relationship(a.user))["followed_by"] is True
    again = await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    assert again.status_code == 200  # following twice changes nothing
    assert (await profile(a.c, b.user))["followers_count"] == 1
    r = await a.c.delete(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    assert r.json()["following"] is False
    assert (await profile(a.c, b.user))["followers_count"] == 0


async def test_locked_accounts_approve_follows(trio: Any) -> None:
    a, b, c = trio
    await b.privacy(locked=True)
    r = await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    assert (r.json()["following"], r.json()["follow_requested"]) == (False, True)
    assert (await profile(a.c, b.user))["followers_count"] == 0
    pending = await b.c.get("/api/quanzi/v1/follow-requests", headers=b.user.auth)
    assert [f["account"]["handle"] for f in pending.json()["items"]] == ["alice"]
    ok = await b.c.post(f"/api/quanzi/v1/follow-requests/{a.user.id}/accept", headers=b.user.auth)
    assert ok.status_code == 204
    assert (await a.relationship(b.user))["following"] is True
    assert (await profile(a.c, b.user))["followers_count"] == 1
    await c.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=c.user.auth)
    no = await b.c.post(f"/api/quanzi/v1/follow-requests/{c.user.id}/decline", headers=b.user.auth)
    assert no.status_code == 204
    assert (await c.relationship(b.user))["follow_requested"] is False
    kinds = [
        n["kind"]
        for n in (await a.c.get("/api/quanzi/v1/notifications", headers=a.user.auth)).json()[
            "items"
        ]
    ]
    assert kinds == ["follow_accepted"]


async def test_remove_a_follower(trio: Any) -> None:
    a, b, _ = trio
    await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    r = await b.c.delete(f"/api/quanzi/v1/followers/{a.user.id}", headers=b.user.auth)
    assert r.status_code == 204
    assert (await a.relationship(b.user))["following"] is False
    assert (await profile(a.c, b.user))["followers_count"] == 0


# Blocks


async def test_blocked_user_cannot_request_follow_or_see_the_blocker(trio: Any) -> None:
    a, b, _ = trio
    await b.c.put(f"/api/quanzi/v1/blocks/{a.user.id}", headers=b.user.auth)
    for r in [
        await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}", headers=a.user.auth),
        await a.c.get(
            "/api/quanzi/v1/accounts/lookup", params={"handle": "bob"}, headers=a.user.auth
        ),
        await a.request(b.user),
        await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth),
        await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}/relationship", headers=a.user.auth),
        await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}/followers", headers=a.user.auth),
    ]:
        assert r.status_code == 404, r.request.url
        assert r.json()["error"]["message"] == "No such account."  # as if Bob did not exist
    found = await a.c.get(
        "/api/quanzi/v1/accounts/search", params={"q": "bob"}, headers=a.user.auth
    )
    assert found.json()["items"] == []
    assert await b.incoming() == []
    # Others still see Bob.
    assert (await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}")).status_code == 200


async def test_blocking_is_silent_and_ends_follows_and_requests(trio: Any) -> None:
    a, b, _ = trio
    await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    await b.c.post(f"/api/quanzi/v1/accounts/{a.user.id}/follow", headers=b.user.auth)
    await a.request(b.user)
    before = (await a.c.get("/api/quanzi/v1/notifications", headers=a.user.auth)).json()["items"]
    assert (
        await b.c.put(f"/api/quanzi/v1/blocks/{a.user.id}", headers=b.user.auth)
    ).status_code == 204
    after = (await a.c.get("/api/quanzi/v1/notifications", headers=a.user.auth)).json()["items"]
    assert after == before  # nothing tells Alice
    assert await b.incoming() == []
    rel = await b.relationship(a.user)
    assert (rel["blocking"], rel["following"], rel["followed_by"]) == (True, False, False)
    assert (await profile(b.c, b.user))["followers_count"] == 0
    blocks = (await b.c.get("/api/quanzi/v1/blocks", headers=b.user.auth)).json()["items"]
    assert [x["handle"] for x in blocks] == ["alice"]


async def test_the_blocker_must_unblock_before_acting(trio: Any) -> None:
    a, b, _ = trio
    await a.befriend(b.user)
    await b.c.put(f"/api/quanzi/v1/blocks/{a.user.id}", headers=b.user.auth)
    r = await b.c.post(f"/api/quanzi/v1/accounts/{a.user.id}/follow", headers=b.user.auth)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "blocking"
    assert (
        await b.c.delete(f"/api/quanzi/v1/blocks/{a.user.id}", headers=b.user.auth)
    ).status_code == 204
    assert (await b.relationship(a.user))["friend"] is True  # the friendship was kept
    assert (
        await a.c.get(f"/api/quanzi/v1/accounts/{b.user.id}", headers=a.user.auth)
    ).status_code == 200
    assert (
        await b.c.delete(f"/api/quanzi/v1/blocks/{a.user.id}", headers=b.user.auth)
    ).status_code == 404


# Finding people


async def test_search_by_display_name_and_handle(people: Personas) -> None:
    viewer = await people.register("finder")
    await people.register("zhangwei", display_name="张伟")
    await people.register("zhangsan", display_name="张三")
    await people.register("wei_fan", display_name="Wei Fan")
    shy = await people.register("zhang_shy", display_name="张害羞")
    await people.client.patch(
        "/api/quanzi/v1/accounts/me", json={"privacy": {"find_in_search": False}}, headers=shy.auth
    )
    c = people.client

    async def search(q: str) -> list[str]:
        r = await c.get("/api/quanzi/v1/accounts/search", params={"q": q}, headers=viewer.auth)
        return [a["handle"] for a in r.json()["items"]]

    assert sorted(await search("张")) == ["zhangsan", "zhangwei"]
    assert await search("张伟") == ["zhangwei"]
    assert await search("wei") == ["wei_fan"]  # a handle prefix, and a word of "Wei Fan"
    assert await search("FAN") == ["wei_fan"]  # a word of the display name, any case
    assert await search("zhangw") == ["zhangwei"]  # handles by prefix
    assert await search("%") == []  # wildcards are literal
    assert await search("zhang_") == []  # only the shy one's handle starts so


async def test_find_people_by_number_or_handle_as_far_as_they_allow(
    app: FastAPI, people: Personas
) -> None:
    from quanzi.domain.accounts.sessions import Principal
    from quanzi.domain.contacts.queries import find_people

    viewer = await people.register("seeker")
    shy = await people.register("zhang_shy", display_name="张害羞")
    open_ = await people.register("zhangkai", display_name="张开")
    await people.client.patch(
        "/api/quanzi/v1/accounts/me",
        json={"privacy": {"find_in_search": False, "find_by_number": False}},
        headers=shy.auth,
    )
    me = Principal(int(viewer.id), int(viewer.session_id), "user")

    async def find(text: str) -> list[str]:
        async with app.state.services.read() as tx:
            return [a.handle for a in await find_people(tx, me, text, 10)]

    assert await find(str(open_.number)) == ["zhangkai"]
    assert await find(str(shy.number)) == []  # not by number, as they chose
    assert await find("@zhang_shy") == ["zhang_shy"]  # by exact handle still allowed
    assert await find("zhang") == ["zhangkai"]  # but search does not list them
    assert await find("张") == ["zhangkai"]
    assert await find("  ") == []


# Notifications


async def test_notifications_are_listed_and_marked_read(trio: Any) -> None:
    a, b, _ = trio
    sent = await a.request(b.user, greeting="hello")
    items = (await b.c.get("/api/quanzi/v1/notifications", headers=b.user.auth)).json()["items"]
    assert [(n["kind"], n["actor_id"], n["read"]) for n in items] == [
        ("friend_request", a.user.id, False)
    ]
    assert items[0]["data"]["greeting"] == "hello"
    await b.accept(sent.json()["request"]["id"])
    got = (await a.c.get("/api/quanzi/v1/notifications", headers=a.user.auth)).json()["items"]
    assert [n["kind"] for n in got] == ["friend_accepted"]
    r = await b.c.post(
        "/api/quanzi/v1/notifications/read", json={"up_to_id": items[0]["id"]}, headers=b.user.auth
    )
    assert r.json() == {"marked": 1}
    unread = await b.c.get(
        "/api/quanzi/v1/notifications", params={"unread": True}, headers=b.user.auth
    )
    assert unread.json()["items"] == []
    bad = await b.c.post("/api/quanzi/v1/notifications/read", json={}, headers=b.user.auth)
    assert bad.status_code == 422


async def test_deleting_an_account_erases_its_contacts(trio: Any) -> None:
    from tests.helpers import PASSWORD

    a, b, _ = trio
    await a.befriend(b.user)
    await a.c.post(f"/api/quanzi/v1/accounts/{b.user.id}/follow", headers=a.user.auth)
    await a.c.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": PASSWORD}, headers=a.user.auth
    )
    assert await b.friends() == {}
    assert (await profile(b.c, b.user))["followers_count"] == 0
