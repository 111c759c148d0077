"""Profiles, avatars and the privacy settings that decide who can find whom."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import update

from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.db.models import Account
from tests.conftest import REDIS_URL
from tests.helpers import Personas, assert_missing_file, encode, load_file, picture


async def test_edit_profile(people: Personas) -> None:
    me = await people.register("editor")
    r = await people.client.patch(
        "/api/quanzi/v1/accounts/me",
        json={
            "display_name": "编辑",
            "bio": "第一行\n第二行",
            "region": "成都",
            "gender": "female",
        },
        headers=me.auth,
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["display_name"], body["bio"], body["region"], body["gender"]) == (
        "编辑",
        "第一行\n第二行",
        "成都",
        "female",
    )
    again = await people.client.get("/api/quanzi/v1/accounts/me", headers=me.auth)
    assert again.json()["bio"] == "第一行\n第二行"


async def test_fields_not_sent_are_left_alone_and_null_clears_gender(people: Personas) -> None:
    me = await people.register("partial")
    c = people.client
    await c.patch(
        "/api/quanzi/v1/accounts/me", json={"bio": "keep me", "gender": "male"}, headers=me.auth
    )
    r = await c.patch("/api/quanzi/v1/accounts/me", json={"gender": None}, headers=me.auth)
    assert r.json()["bio"] == "keep me"
    assert r.json()["gender"] is None


async def test_bad_profile_values_are_refused_and_nothing_changes(people: Personas) -> None:
    me = await people.register("careful")
    c = people.client
    cases = [
        {"display_name": ""},
        {"display_name": "   "},
        {"gender": "robot"},
        {"bio": "x" * 501},
        {"unknown_field": 1},
        {"privacy": {"find_by_number": "sometimes"}},
    ]
    for body in cases:
        r = await c.patch(
            "/api/quanzi/v1/accounts/me", json={"region": "changed", **body}, headers=me.auth
        )
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] in {
            "invalid_request",
            "invalid_display_name",
            "invalid_bio",
        }, body
    assert (await c.get("/api/quanzi/v1/accounts/me", headers=me.auth)).json()["region"] == ""


async def test_avatar_is_an_uploaded_image_of_mine(people: Personas) -> None:
    me = await people.register("avatared")
    other = await people.register("otherone")
    c = people.client
    upload = await c.post(
        "/api/quanzi/v1/media",
        files={"file": ("me.png", encode(picture(), "PNG"))},
        headers=me.auth,
    )
    media_id = upload.json()["id"]
    theirs = await c.patch(
        "/api/quanzi/v1/accounts/me", json={"avatar_id": media_id}, headers=other.auth
    )
    assert theirs.status_code == 404
    r = await c.patch("/api/quanzi/v1/accounts/me", json={"avatar_id": media_id}, headers=me.auth)
    assert r.status_code == 200
    assert r.json()["avatar_url"].startswith(f"http://testserver/media/{media_id}/")
    public = await c.get(f"/api/quanzi/v1/accounts/{me.id}")
    assert public.json()["avatar_thumbnail_url"] == r.json()["avatar_url"] + "/thumb"
    # An avatar is public: anyone may load it, with no header.
    assert (await load_file(c, public.json()["avatar_thumbnail_url"])).status_code == 200
    assert (await c.get(f"/api/quanzi/v1/media/{media_id}")).status_code == 200


async def test_replaced_avatar_is_private_again(people: Personas) -> None:
    me = await people.register("switcher")
    c = people.client
    ids = []
    for _ in range(2):
        r = await c.post(
            "/api/quanzi/v1/media",
            files={"file": ("a.png", encode(picture(), "PNG"))},
            headers=me.auth,
        )
        ids.append(r.json()["id"])
    shown = []
    for media_id in ids:
        r = await c.patch(
            "/api/quanzi/v1/accounts/me", json={"avatar_id": media_id}, headers=me.auth
        )
        shown.append(r.json()["avatar_url"])
    await assert_missing_file(c, shown[0])
    assert (await c.get(f"/api/quanzi/v1/media/{ids[0]}")).status_code == 404
    assert (await c.get(f"/api/quanzi/v1/media/{ids[0]}", headers=me.auth)).status_code == 200
    assert (await load_file(c, shown[1])).status_code == 200


async def test_public_profile_hides_private_fields(people: Personas) -> None:
    me = await people.register("shown", email="shown@example.com")
    other = await people.register("looker")
    r = await people.client.get(f"/api/quanzi/v1/accounts/{me.id}", headers=other.auth)
    assert r.status_code == 200
    body = r.json()
    assert body["handle"] == "shown"
    assert body["number"] == me.number
    for private in ("email", "privacy", "role"):
        assert private not in body


async def test_lookup_by_handle_and_number(people: Personas) -> None:
    me = await people.register("findme")
    c = people.client
    by_handle = await c.get("/api/quanzi/v1/accounts/lookup", params={"handle": "FindMe"})
    assert by_handle.json()["id"] == me.id
    by_number = await c.get("/api/quanzi/v1/accounts/lookup", params={"number": me.number})
    assert by_number.json()["id"] == me.id
    assert (
        await c.get("/api/quanzi/v1/accounts/lookup", params={"handle": "nobody"})
    ).status_code == 404


async def test_privacy_settings_hide_me_from_lookup(people: Personas) -> None:
    me = await people.register("hidden")
    other = await people.register("seeker")
    c = people.client
    r = await c.patch(
        "/api/quanzi/v1/accounts/me",
        json={"privacy": {"find_by_number": False, "find_by_handle": False}},
        headers=me.auth,
    )
    assert r.json()["privacy"] == {
        "find_by_number": False,
        "find_by_handle": False,
        "find_in_search": True,
        "add_needs_verification": True,
        "allow_strangers": False,
        "locked": False,
        "show_presence": True,
        "moments_window": "all",
    }
    by_number = await c.get(
        "/api/quanzi/v1/accounts/lookup", params={"number": me.number}, headers=other.auth
    )
    by_handle = await c.get(
        "/api/quanzi/v1/accounts/lookup", params={"handle": "hidden"}, headers=other.auth
    )
    missing = await c.get(
        "/api/quanzi/v1/accounts/lookup", params={"handle": "never_was"}, headers=other.auth
    )
    assert by_number.status_code == by_handle.status_code == 404
    assert by_number.json() == missing.json()  # hidden looks exactly like missing
    # The number is not shown on the profile either, once finding by number is off.
    assert (await c.get(f"/api/quanzi/v1/accounts/{me.id}", headers=other.auth)).json()[
        "number"
    ] is None
    # I can still find myself.
    assert (
        await c.get("/api/quanzi/v1/accounts/lookup", params={"handle": "hidden"}, headers=me.auth)
    ).status_code == 200


async def test_unknown_account_is_404(people: Personas) -> None:
    r = await people.client.get("/api/quanzi/v1/accounts/123456789")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "No such account."}}


async def test_a_profile_change_is_seen_at_once_here_and_in_other_processes(
    app: object, people: Personas
) -> None:
    """Account rows are cached per process; a change drops them in this process at once and,
    through Redis, in every other process, so no process shows the old profile."""
    import asyncio

    import httpx
    from fastapi import FastAPI

    from quanzi.app import create_app

    assert isinstance(app, FastAPI)
    settings = app.state.services.settings
    me = await people.register("cached")
    assert (await people.client.get(f"/api/quanzi/v1/accounts/{me.id}")).json()["bio"] == ""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get(f"/api/quanzi/v1/accounts/{me.id}")).json()["bio"] == ""  # cached
            await people.client.patch(
                "/api/quanzi/v1/accounts/me", json={"bio": "changed"}, headers=me.auth
            )
            here = await people.client.get(f"/api/quanzi/v1/accounts/{me.id}")
            assert here.json()["bio"] == "changed"
            if not settings.redis_url:
                return  # embedded: one process, nothing else to tell
            for _ in range(100):
                there = (await c.get(f"/api/quanzi/v1/accounts/{me.id}")).json()["bio"]
                if there == "changed":
                    break
                await asyncio.sleep(0.01)
    assert there == "changed"


async def test_a_lost_bus_subscription_forgets_the_cached_profiles(settings: Settings) -> None:
    """Profiles are cached per process and forgotten when a change is announced on the bus; a
    process whose Redis subscription broke may have missed announcements, so once it is back
    it forgets them all rather than show old names, settings or status for a minute."""
    if not REDIS_URL:
        pytest.skip("set QUANZI_TEST_REDIS_URL: the embedded bus cannot lose a message")
    app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            me = await Personas(c).register("cached")
            url = f"/api/quanzi/v1/accounts/{me.id}"
            before = (await c.get(url)).json()["display_name"]
            # a change whose announcement never arrived (as if published while Redis was away)
            async with app.state.services.write() as tx:
                await tx.session.execute(
                    update(Account).where(Account.id == int(me.id)).values(display_name="新名字")
                )
            assert (await c.get(url)).json()["display_name"] == before

            redis = Redis.from_url(REDIS_URL)
            try:
                ours = [
                    client["id"]
                    for client in await redis.client_list(_type="pubsub")
                    if client["name"].startswith(f"{settings.redis_prefix}:bus:")
                ]
                assert len(ours) == 1
                await redis.client_kill_filter(_id=ours[0])
            finally:
                await redis.aclose()
            for _ in range(100):
                if (await c.get(url)).json()["display_name"] == "新名字":
                    break
                await asyncio.sleep(0.05)
            assert (await c.get(url)).json()["display_name"] == "新名字"
