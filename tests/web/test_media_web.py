"""The web pages' images: every <img> of a media file loads by its URL alone, as a browser asks
for it (no header, no cookie), whatever it shows: avatars, group pictures, post photos, Moment
photos, chat pictures."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Personas, User, assert_missing_file, encode, load_file, picture
from tests.web.conftest import NewBrowser
from tests.web_helpers import media_images

API = "/api/quanzi/v1"


async def _image(c: httpx.AsyncClient, user: User) -> str:
    r = await c.post(
        f"{API}/media", files={"file": ("p.png", encode(picture(), "PNG"))}, headers=user.auth
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _call(c: httpx.AsyncClient, user: User, method: str, path: str, **kw: Any) -> Any:
    r = await c.request(method, f"{API}{path}", headers=user.auth, **kw)
    assert r.is_success, r.text
    return r.json() if r.content else None


async def test_every_image_of_the_pages_loads_by_its_url_alone(
    browser_for: NewBrowser, people: Personas
) -> None:
    web = await browser_for("bob")
    await browser_for("alice")
    c = people.client
    alice, bob = await people.login("alice"), await people.login("bob")
    pictures: dict[str, str] = {}
    for who in (alice, bob):
        pictures[f"avatar of {who.handle}"] = media = await _image(c, who)
        await _call(c, who, "PATCH", "/accounts/me", json={"avatar_id": media})
    sent = await _call(c, alice, "POST", "/friend-requests", json={"account_id": bob.id})
    if not sent["friends"]:
        await _call(c, bob, "POST", f"/friend-requests/{sent['request']['id']}/accept", json={})
    await _call(c, bob, "POST", f"/accounts/{alice.id}/follow")
    pictures["post photo"] = await _image(c, alice)
    post = await _call(
        c,
        alice,
        "POST",
        "/posts",
        json={
            "text": "关注者可见",
            "media_ids": [pictures["post photo"]],
            "visibility": "followers",
        },
    )
    pictures["Moment photo"] = await _image(c, alice)
    moment = await _call(
        c, alice, "POST", "/moments", json={"text": "", "media_ids": [pictures["Moment photo"]]}
    )
    pictures["group picture"] = await _image(c, alice)
    group = await _call(
        c,
        alice,
        "POST",
        "/conversations/group",
        json={"name": "读书会", "member_ids": [bob.id], "avatar_id": pictures["group picture"]},
    )
    pictures["chat picture"] = await _image(c, alice)
    await _call(
        c,
        alice,
        "POST",
        f"/conversations/{group['id']}/messages",
        json={"client_msg_id": "pic-1", "text": "", "media_id": pictures["chat picture"]},
    )

    pages = [
        "/square",
        f"/posts/{post['id']}",
        "/moments",
        f"/moments/{moment['id']}",
        f"/people/{alice.id}",
        "/contacts",
        "/chats",
        f"/chats/{group['id']}",
        "/me",
    ]
    shown: list[str] = []
    for path in pages:
        shown += media_images(await web.page(path))
    for what, media_id in pictures.items():
        assert any(src.startswith(f"/media/{media_id}/") for src in shown), what
    for src in dict.fromkeys(shown):
        r = await load_file(web.c, src)
        assert r.status_code == 200, (src, r.text)
        assert r.headers["content-type"].startswith("image/"), src

    # Deleted, its photo's URL is gone for everyone, as if it never was.
    await _call(c, alice, "DELETE", f"/posts/{post['id']}")
    for src in shown:
        if src.startswith(f"/media/{pictures['post photo']}/"):
            await assert_missing_file(web.c, src)
