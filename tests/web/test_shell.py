"""The frame around every page: the tabs' names, the web app manifest, the service worker
and the offline page (docs/web.md, Installable)."""

from __future__ import annotations

import io
import re

import httpx
import orjson
from PIL import Image

from quanzi.web.static import STATIC_VERSION
from tests.helpers import Personas
from tests.web.conftest import NewBrowser
from tests.web_helpers import WebUser

ZH = {"accept-language": "zh-CN,zh;q=0.9"}


async def test_chats_tab_is_named_liaotian_in_chinese_not_weixin(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    zh = await alice.c.get("/chats", headers=ZH)
    assert zh.status_code == 200
    assert "<span>聊天</span>" in zh.text and "微信" not in zh.text
    en = await alice.page("/chats")
    assert "<span>Chats</span>" in en


async def test_manifest_names_the_app_in_the_readers_language(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    en = await alice.c.get("/manifest.webmanifest")
    assert en.status_code == 200
    assert en.headers["content-type"] == "application/manifest+json"
    assert "Accept-Language" in en.headers["vary"]
    manifest = en.json()
    assert manifest["name"] == manifest["short_name"] == "quanzi" and manifest["lang"] == "en"
    assert manifest["start_url"] == "/chats" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["theme_color"].startswith("#")
    zh = (await alice.c.get("/manifest.webmanifest", headers=ZH)).json()
    assert zh["name"] == "圈子" and zh["lang"] == "zh-CN" and "服务器" in zh["description"]
    icons = {(i["sizes"], i.get("purpose", "any")): i["src"] for i in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), src in icons.items():
        picture = await alice.c.get(src)
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(picture.content))
        assert f"{image.width}x{image.height}" == sizes
    maskable = Image.open(io.BytesIO((await alice.c.get(icons[("512x512", "maskable")])).content))
    assert maskable.getpixel((0, 0)) == maskable.getpixel((511, 511))  # full bleed, no corners
    page = await alice.page("/chats")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page)
    assert touch is not None
    apple = Image.open(io.BytesIO((await alice.c.get(touch.group(1))).content))
    assert apple.size == (180, 180) and apple.mode == "RGB"


async def test_service_worker_from_the_root_keeps_no_personal_page(
    browser_for: NewBrowser, client: httpx.AsyncClient
) -> None:
    alice = await browser_for("alice")
    r = await alice.c.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/"
    assert "worker-src 'self'" in (await alice.c.get("/chats")).headers["content-security-policy"]
    script = r.text
    found = re.search(r"const PRECACHE = (\[.*?\]);", script)
    assert found is not None
    precache = orjson.loads(found.group(1))
    assert "/offline" in precache
    assert all(
        p == "/offline" or re.fullmatch(rf"/static/[\w.]+\?v={STATIC_VERSION}", p) for p in precache
    )
    # what it stores as pages load: this version's static files only, never a page, the API
    # or media (every other request goes to the network untouched)
    assert f'const VERSION = "{STATIC_VERSION}";' in script
    assert 'url.pathname.startsWith("/static/")' in script and "cache.put(request" in script
    assert script.count("cache.put(") == 1 and script.count("caches.match(") == 1
    assert "caches.match(OFFLINE)" in script
    # and it shows what Web Push brings, opening only pages of this site
    assert 'addEventListener("push"' in script and 'addEventListener("notificationclick"' in script
    # what it stores at install, and the public files, are the same for everyone: logged in
    # or not (tests/access_policy.py names them so)
    anonymous = WebUser(client)
    try:
        for path in ["/manifest.webmanifest", "/sw.js", *precache]:
            mine, theirs = await alice.c.get(path), await anonymous.c.get(path)
            assert mine.status_code == theirs.status_code == 200, path
            assert mine.content == theirs.content, path
            assert "set-cookie" not in mine.headers, path
    finally:
        await anonymous.close()


async def test_offline_page_says_so_in_both_languages_and_retries(
    browser_for: NewBrowser,
) -> None:
    alice = await browser_for("alice")
    en = await alice.c.get("/offline")
    assert en.status_code == 200
    assert "<h1>You are offline</h1>" in en.text and 'lang="zh-CN">你已离线</p>' in en.text
    assert 'id="offline-retry"' in en.text and "/static/shell.js" in en.text
    assert "data-me=" not in en.text and 'data-csrf=""' in en.text  # nobody's page
    assert 'class="tabs"' not in en.text
    zh = await alice.c.get("/offline", headers=ZH)
    assert "<h1>你已离线</h1>" in zh.text and 'lang="en">You are offline</p>' in zh.text


async def test_page_title_counts_what_waits(browser_for: NewBrowser, people: Personas) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    assert "<title>Chats · quanzi</title>" in await alice.page("/chats")
    bob = await people.login("bob")
    alice_id = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["id"]
    await people.client.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": alice_id, "greeting": "hi"},
        headers=bob.auth,
    )
    # unread messages and notifications: a friend request is one notification (the Contacts
    # tab's count of requests is not added to it again)
    assert "<title>(1) Chats · quanzi</title>" in await alice.page("/chats")
