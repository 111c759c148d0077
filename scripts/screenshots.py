"""Screenshots of the web client for docs/screenshots/: each tab, at phone and desktop sizes,
in Chinese (Moments and the square in English too), on a fresh demo world; and the photo
viewer open on a Moment of nine photos.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME ...]

Starts `quanzi serve` on a free port with a temporary data directory, seeds the demo world, and
drives Debian's Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright

from demo_server import ROOT, demo_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


async def shoot(base: str, out: Path, only: list[str] | None = None) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            for locale in ("zh-CN", "en-US"):
                context = await browser.new_context(
                    viewport={"width": width, "height": height},
                    locale=locale,
                    device_scale_factor=2,
                )
                page = await context.new_page()
                await page.goto(base + "/login")
                await page.fill("input[name=login]", "xiaoming")
                await page.fill("input[name=password]", "quanzi-demo")
                await page.click("button[type=submit]")
                await page.wait_for_url("**/chats")
                if size == "phone" and locale == "zh-CN":
                    await long_remark(page, base)
                suffix = size if locale == "zh-CN" else f"{size}-en"
                for name, path in await views(page, base, english=locale != "zh-CN"):
                    if only and name not in only:
                        continue
                    await page.goto(base + path)
                    await settle(page)
                    await page.screenshot(path=str(out / f"{name}-{suffix}.png"))
                    if name in ("moments", "square"):  # further down: every size of grid
                        for more in (2, 3):
                            await page.evaluate("window.scrollBy(0, innerHeight * 0.85)")
                            await settle(page)
                            shot = out / f"{name}-{more}-{suffix}.png"
                            await page.screenshot(path=str(shot))
                    print(f"wrote {name}-{suffix}.png")
                    if name in ("moment", "post", "chat"):
                        await page.locator("a[data-photo]").first.click()
                        await page.locator(".pv").wait_for()
                        if name == "moment":
                            await page.keyboard.press("ArrowRight")
                            await page.keyboard.press("ArrowRight")
                            await page.keyboard.press("ArrowRight")  # the one with a caption
                        await settle(page)
                        await page.screenshot(path=str(out / f"{name}-viewer-{suffix}.png"))
                        print(f"wrote {name}-viewer-{suffix}.png")
                if locale == "zh-CN" and (not only or "chat" in only):
                    await chat_shots(page, base, out, size)
                await context.close()
        await browser.close()


async def long_remark(page: Page, base: str) -> None:
    """A long name where names are tight (Moments, the square, chats): xiaoming's remark for
    Alice, as long as a remark may be."""
    await page.goto(base + "/contacts")
    await page.locator("a.row-link", has_text="Alice Chen").first.click()
    await page.wait_for_url("**/people/*")
    await page.goto(page.url.rstrip("/") + "/remark")
    await page.fill("input[name=remark]", "Alice Chen 陈爱丽 · 设计团队的产品经理 Product Manager")
    await page.click("#remark-form button[type=submit]")
    await page.wait_for_url("**/people/*")


async def settle(page: Page) -> None:
    await page.wait_for_load_state("networkidle")
    # the images in view decoded (lazy ones further down never load, so no waiting for those)
    await page.evaluate(
        """Promise.race([
            Promise.all(Array.from(document.images, (i) => i.decode().catch(() => null))),
            new Promise((done) => setTimeout(done, 2000)),
        ])"""
    )
    await page.wait_for_timeout(300)


async def views(page: Page, base: str, *, english: bool) -> list[tuple[str, str]]:
    """Each tab, plus a chat with pictures, a Moment and a post of nine photos (found from the
    lists); in English only the pages with photos."""
    await page.goto(base + "/chats")
    group = page.locator("a.row-link", has_text="周末爬山")
    chat = await group.first.get_attribute("href") or "/chats"
    await page.goto(base + "/moments")
    hike = page.locator("article.moment", has_text="香山的红叶").locator("a.moment-time")
    moment = await hike.first.get_attribute("href") or "/moments"
    await page.goto(base + "/square?tab=public")
    nine = page.locator("[data-post-id]", has_text="周六去香山看红叶").last  # not a repost
    post = f"/posts/{await nine.get_attribute('data-post-id')}"
    await page.goto(base + "/contacts")
    alice = page.locator("#friends a.row-link", has_text="Alice").first
    profile = await alice.get_attribute("href") or "/contacts"
    with_photos = [
        ("chat", chat),
        ("moments", "/moments"),
        ("moment", moment),
        ("square", "/square?tab=public"),
        ("post", post),
    ]
    if english:
        return with_photos
    return [
        ("chats", "/chats"),
        ("contacts", "/contacts"),
        ("discover", "/discover"),
        ("me", "/me"),
        ("profile", profile),
        *with_photos,
        ("notifications", "/me/notifications"),
        ("alerts", "/me/alerts"),
        ("offline", "/offline"),
    ]


async def chat_shots(page: Page, base: str, out: Path, size: str) -> None:
    """The group chat with its message menu open, forwarding a message, and the chat in
    English."""
    await page.goto(base + "/chats")
    chat = await page.locator("a.row-link", has_text="周末爬山").first.get_attribute("href")
    await page.goto(f"{base}{chat}")
    await page.wait_for_load_state("networkidle")
    await page.locator("#messages .msg.mine .bubble p").last.click(button="right")
    await page.wait_for_timeout(200)
    await save(page, out / f"chat-menu-{size}.png")
    await page.locator("#msg-menu [data-menu=forward]").click()
    await page.wait_for_url("**/forward")
    await page.wait_for_load_state("networkidle")
    await save(page, out / f"chat-forward-{size}.png")
    await page.context.add_cookies([{"name": "quanzi_lang", "value": "en", "url": base}])
    await page.goto(f"{base}{chat}")
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(300)
    await save(page, out / f"chat-en-{size}.png")
    await page.context.clear_cookies(name="quanzi_lang")


async def save(page: Page, target: Path) -> None:
    await page.screenshot(path=str(target))
    print(f"wrote {target.relative_to(ROOT)}")


def stage_chat(base: str) -> None:
    """What a chat shows besides words, in the demo world's group chat: a link, a quoted
    reply, a recalled message, an @mention (the chat list's [有人@我]), and long names."""
    api = httpx.Client(base_url=base + "/api/quanzi/v1", timeout=10)

    def login(handle: str) -> dict[str, str]:
        r = api.post("/sessions", json={"login": handle, "password": "quanzi-demo"})
        return {"Authorization": f"Bearer {r.raise_for_status().json()['token']}"}

    xiaoming, lilei, meimei = login("xiaoming"), login("lilei"), login("hanmeimei")
    alice = api.get("/accounts/lookup", params={"handle": "alice"}, headers=xiaoming).json()
    group = next(
        c
        for c in api.get("/conversations", headers=xiaoming).json()["items"]
        if "周末爬山" in c["name"]
    )
    path = f"/conversations/{group['id']}/messages"
    me = api.get("/accounts/me", headers=xiaoming).json()

    def say(who: dict[str, str], text: str, **more: object) -> dict[str, object]:
        body = {"client_msg_id": f"shot-{time.monotonic_ns()}", "text": text, **more}
        return dict(api.post(path, json=body, headers=who).raise_for_status().json())

    api.patch(
        f"/friends/{alice['id']}",
        json={"remark": "Alice Johnson（大学室友 · 北京外国语大学 · 设计组）"},
        headers=xiaoming,
    ).raise_for_status()
    route = say(lilei, "路线在这里：https://example.com/xiangshan/route?from=metro 大约三小时")
    say(xiaoming, "好的，我下载离线地图", reply_to_seq=route["seq"])
    oops = say(meimei, "我可能迟到半小时")
    api.post(f"{path}/{oops['seq']}/recall", headers=meimei).raise_for_status()
    say(meimei, "@小明 记得带充电宝", mentions=[me["id"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="only these views (chats, chat, me, …)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with demo_server() as base:
        stage_chat(base)
        asyncio.run(shoot(base, args.out, args.only))


if __name__ == "__main__":
    main()
