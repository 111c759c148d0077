"""Screenshots of the web client for docs/screenshots/: each tab, at phone and desktop sizes,
in Chinese, on a fresh demo world.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME ...]

Starts `quanzi serve` on a free port with a temporary data directory, seeds the demo world, and
drives Debian's Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quanzi(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "quanzi", *args], env=env, check=True, cwd=ROOT)


async def shoot(base: str, out: Path, only: list[str] | None = None) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            context = await browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN", device_scale_factor=2
            )
            page = await context.new_page()
            await page.goto(base + "/login")
            await page.fill("input[name=login]", "xiaoming")
            await page.fill("input[name=password]", "quanzi-demo")
            await page.click("button[type=submit]")
            await page.wait_for_url("**/chats")
            for name, path in await views(page, base):
                if only and name not in only:
                    continue
                await page.goto(base + path)
                await page.wait_for_load_state("networkidle")
                await page.wait_for_timeout(300)
                target = out / f"{name}-{size}.png"
                await page.screenshot(path=str(target))
                print(f"wrote {target.relative_to(ROOT)}")
            await context.close()
        await browser.close()


async def views(page: Page, base: str) -> list[tuple[str, str]]:
    """Each tab, plus a chat and the Moments and square pages (found from the lists)."""
    await page.goto(base + "/chats")
    group = page.locator("a.row-link", has_text="周末爬山")
    chat = await group.first.get_attribute("href")
    return [
        ("chats", "/chats"),
        ("chat", chat or "/chats"),
        ("contacts", "/contacts"),
        ("discover", "/discover"),
        ("moments", "/moments"),
        ("square", "/square?tab=public"),
        ("me", "/me"),
        ("notifications", "/me/notifications"),
        ("offline", "/offline"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="only these views (chats, chat, me, …)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QUANZI_DATA_DIR": data, "QUANZI_PUBLIC_URL": base}
        quanzi(env, "migrate")
        quanzi(env, "demo", "--if-empty")
        server = subprocess.Popen(
            [sys.executable, "-m", "quanzi", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            asyncio.run(shoot(base, args.out, args.only))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
