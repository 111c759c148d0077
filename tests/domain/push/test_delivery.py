"""Web Push deliveries (domain/push/): a real push service on loopback receives what the
server sends, and a device decrypts it with its own keys and checks the server's signature.
What a push says (nothing of who or what unless previews are on; remarks; the device's
language), who is woken (muted chats only by a mention; alerts; the Mastodon policy), and
what the push service's answers do (410 drops the subscription; 5xx is tried again)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.chat_helpers import Chat
from tests.domain.push.conftest import settled
from tests.helpers import Personas
from tests.push_receiver import Device, PushService, check_vapid


async def subscribe(who: Chat, device: Device, **wanted: Any) -> dict[str, Any]:
    r = await who.call("PUT", "/push/subscription", json=device.subscription() | wanted)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_message_wakes_a_closed_tab_and_says_nothing_of_who_or_what(
    app: FastAPI, pals: Any, service: PushService
) -> None:
    alice, bob, _ = pals
    device = service.device("bob-phone")
    made = await subscribe(bob, device)
    key = (await bob.call("GET", "/push/server_key")).json()["server_key"]
    assert made["server_key"] == key
    assert made["previews"] is False and "message" in made["alerts"]
    conv = await alice.direct_id(bob)
    said = await alice.say(conv, "明天下午三点见")
    [push] = await device.pushes()
    assert push == {
        "kind": "message",
        "conversation_id": conv,
        "message_id": said["id"],
        "url": f"/chats/{conv}",
        "tag": f"chat-{conv}",
        "title": "圈子",
        "body": "你收到了一条新消息",
    }
    got = service.got["bob-phone"][0]
    assert got.headers["content-encoding"] == "aes128gcm"
    assert "明天".encode() not in got.body  # sealed on the wire too
    assert got.headers["urgency"] == "high"
    assert int(got.headers["ttl"]) == app.state.services.settings.push_ttl_seconds
    check_vapid(got.headers, key, service.base)
    # The sender's own devices are not woken by what they sent.
    mine = service.device("alice-phone")
    await subscribe(alice, mine)
    await bob.say(conv, "好")
    await device.pushes(1)
    await mine.pushes(1)
    await settled(app)
    assert len(service.got["alice-phone"]) == 1 and len(service.got["bob-phone"]) == 1


async def test_previews_name_the_sender_as_the_reader_named_them_in_their_language(
    app: FastAPI, pals: Any, service: PushService
) -> None:
    alice, bob, carol = pals
    device = service.device("bob-laptop")
    await subscribe(bob, device, previews=True, language="en")
    r = await bob.call("PATCH", f"/friends/{alice.id}", json={"remark": "老板"})
    assert r.status_code == 200, r.text
    conv = await alice.direct_id(bob)
    await alice.say(conv, "see you at three")
    [push] = await device.pushes()
    assert (push["title"], push["body"]) == ("老板", "see you at three")
    await carol.befriend(alice)
    group = await alice.group_id(bob, carol, name="周末爬山")
    await carol.say(group, "x" * 300)
    pushes = await device.pushes(2)
    assert pushes[1]["title"] == "周末爬山"
    assert pushes[1]["body"].startswith("Carol: xxx") and pushes[1]["body"].endswith("…")
    assert len(pushes[1]["body"]) <= len("Carol: ") + 120


async def test_a_muted_chat_wakes_only_for_a_mention(
    app: FastAPI, pals: Any, service: PushService
) -> None:
    alice, bob, carol = pals
    await carol.befriend(alice)
    device = service.device("bob")
    await subscribe(bob, device)
    group = await alice.group_id(bob, carol)
    await settled(app)
    r = await bob.call("PATCH", f"/conversations/{group}/me", json={"muted": True})
    assert r.status_code == 200, r.text
    before = len(service.got["bob"])
    await alice.say(group, "大家好")
    await settled(app)
    assert len(service.got["bob"]) == before
    await alice.say(group, "@bob 你来吗", mentions=[bob.id])
    [*_, push] = await device.pushes(before + 1)
    assert (push["kind"], push["body"]) == ("chat_mention", "有人在群聊中@了你")
    # Turning messages off in the alerts leaves mentions on.
    await bob.call("PATCH", f"/conversations/{group}/me", json={"muted": False})
    r = await bob.call("PATCH", "/push/subscription", json={"alerts": ["chat_mention"]})
    assert r.json()["alerts"] == ["chat_mention"]
    await alice.say(group, "不用回")
    await settled(app)
    assert len(service.got["bob"]) == before + 1


async def test_a_gone_subscription_is_dropped_and_a_busy_service_is_tried_again(
    app: FastAPI, pals: Any, service: PushService
) -> None:
    alice, bob, _ = pals
    conv = await alice.direct_id(bob)
    device = service.device("bob")
    await subscribe(bob, device)
    service.answers["bob"] = [503, 429]
    await alice.say(conv, "one")
    [push] = await device.pushes(1)
    assert push["kind"] == "message"
    assert service.tried["bob"] == 3  # two refusals, then delivered once
    service.answers["bob"] = [410]
    await alice.say(conv, "two")
    await settled(app)
    r = await bob.call("GET", "/push/subscription")
    assert r.status_code == 404, r.text
    await alice.say(conv, "three")
    await settled(app)
    assert service.tried["bob"] == 4 and len(service.got["bob"]) == 1


async def test_logging_out_ends_the_subscription(
    app: FastAPI, pals: Any, service: PushService
) -> None:
    alice, bob, _ = pals
    await subscribe(bob, service.device("bob"))
    r = await bob.call("DELETE", "/sessions/current")
    assert r.status_code == 204, r.text
    conv = await alice.direct_id(bob)
    await alice.say(conv, "still there?")
    await settled(app)
    assert service.tried["bob"] == 0


async def test_mastodon_apps_get_the_alerts_they_asked_for_in_mastodons_shape(
    app: FastAPI, people: Personas, service: PushService
) -> None:
    client = people.client
    await people.register("dora")
    writer = await people.register("erin")
    token = await people.app_token("dora", "read write push")
    auth = {"Authorization": f"Bearer {token}"}
    device = service.device("dora-app")
    sub = device.subscription()
    r = await client.post(
        "/api/v1/push/subscription",
        data={
            "subscription[endpoint]": sub["endpoint"],
            "subscription[keys][p256dh]": sub["keys"]["p256dh"],
            "subscription[keys][auth]": sub["keys"]["auth"],
            "data[alerts][mention]": "true",
            "data[alerts][favourite]": "false",
            "data[alerts][follow]": "true",
            "data[policy]": "all",
        },
        headers=auth | {"Accept-Language": "en-US"},
    )
    assert r.status_code == 200, r.text
    entity = r.json()
    assert entity["alerts"]["mention"] is True and entity["alerts"]["favourite"] is False
    assert entity["standard"] is False and entity["policy"] == "all"
    instance = (await client.get("/api/v2/instance")).json()
    assert entity["server_key"] == instance["configuration"]["vapid"]["public_key"]
    w = {"Authorization": f"Bearer {writer.token}"}
    r = await client.post("/api/quanzi/v1/posts", json={"text": "@dora 你好"}, headers=w)
    assert r.status_code == 201, r.text
    [push] = await device.pushes()
    assert push["notification_type"] == "mention"
    assert push["preferred_locale"] == "en" and push["title"] == "quanzi"
    assert "access_token" not in push
    assert service.got["dora-app"][0].headers["content-encoding"] == "aesgcm"  # not `standard`
    r = await client.post(f"/api/v1/statuses/{r.json()['id']}/favourite", headers=auth)
    # A like of one's post would be a favourite, which the app turned off: nothing is pushed.
    mine = await client.post("/api/v1/statuses", data={"status": "hello"}, headers=auth)
    await client.post(f"/api/quanzi/v1/posts/{mine.json()['id']}/like", headers=w)
    await settled(app)
    assert len(service.got["dora-app"]) == 1
    # The "followed" policy: only people Dora follows wake her app.
    r = await client.put(
        "/api/v1/push/subscription", data={"data[policy]": "followed"}, headers=auth
    )
    assert r.json()["policy"] == "followed"
    await client.post("/api/quanzi/v1/posts", json={"text": "@dora again"}, headers=w)
    await settled(app)
    assert len(service.got["dora-app"]) == 1
    r = await client.delete("/api/v1/push/subscription", headers=auth)
    assert (r.status_code, r.json()) == (200, {})
    assert (await client.get("/api/v1/push/subscription", headers=auth)).status_code == 404
