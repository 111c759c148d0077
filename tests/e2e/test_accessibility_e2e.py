"""Every page of the web client meets WCAG 2.2 AA as axe-core checks it (issue 15, item 14):
on the demo world, at phone and desktop sizes, in Chinese and English, with no serious or
critical violation.

axe-core comes from npm (package.json pins it; `make test` runs `npm ci`) and is injected by
Playwright into each page; the browser context bypasses the page's Content-Security-Policy
for that script (the pages themselves allow no inline or foreign script)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from quanzi.config import Settings
from quanzi.demo import DEMO_PASSWORD
from tests.e2e.conftest import TIMEOUT_MS
from tests.helpers import ROOT, ServerProcess, free_port, settings_env

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("serious", "critical")

# The pages of the client; `{chat}` and the others are found on the lists of the demo world.
PAGES = [
    "/chats",
    "{chat}",
    "{chat}/settings",
    "/chats/new/group",
    "/contacts",
    "/contacts/requests",
    "/contacts/search",
    "/contacts/labels",
    "{profile}",
    "/discover",
    "/moments",
    "/moments/new",
    "{moment}",
    "/square?tab=public",
    "{post}",
    "/topics",
    "/communities",
    "/search?q=%E5%8C%97%E4%BA%AC",
    "/me",
    "/me/profile",
    "/me/privacy",
    "/me/language",
    "/me/sessions",
    "/me/password",
    "/me/qr",
    "/me/delete",
    "/me/notifications",
    "/me/alerts",
]
LOGGED_OUT = ["/login", "/register", "/offline"]


@pytest.fixture
async def demo(settings: Settings) -> AsyncIterator[str]:
    """A real server on the demo world (`quanzi demo`)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = settings_env(settings) | {"QUANZI_PUBLIC_URL": base}
    seeding = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quanzi",
        "demo",
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await seeding.communicate()
    assert seeding.returncode == 0, output.decode()
    process = ServerProcess(env, port)
    try:
        await process.ready()
        yield base
    finally:
        process.stop()


async def violations(page: Page) -> list[str]:
    """The serious and critical violations axe finds on the page, one readable line each."""
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    found = []
    for v in result["violations"]:
        if v["impact"] not in FAILING:
            continue
        for node in v["nodes"][:5]:
            summary = node.get("failureSummary", "").replace("\n", " ")
            found.append(
                f"{v['id']} ({v['impact']}): {node['target']} {node['html'][:120]}  {summary[:200]}"
            )
    return found


async def links(page: Page, base: str) -> dict[str, str]:
    """A chat, a profile, a Moment and a post of the demo world, from the lists."""

    async def first(path: str, selector: str) -> str:
        await page.goto(base + path)
        href = await page.locator(selector).first.get_attribute("href")
        assert href, (path, selector)
        return href

    return {
        "chat": await first("/chats", "a.row-link[href^='/chats/']"),
        "profile": await first("/contacts", "a.row-link[href^='/people/']"),
        "moment": await first("/moments", "a.moment-time"),
        "post": await first("/square?tab=public", "a[data-action=comment]"),
    }


# What axe checks is how pages are drawn, which does not depend on the database: SQLite only
# (a minute for each size and language).
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_every_page_has_no_serious_accessibility_violation(
    browser: Browser, demo: str, size: str, language: str
) -> None:
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make test does)"
    context = await browser.new_context(
        viewport=SIZES[size], locale=LANGUAGES[language], bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    problems: dict[str, list[str]] = {}
    try:
        for path in LOGGED_OUT:
            await page.goto(demo + path)
            problems[path] = await violations(page)
        await page.goto(demo + "/login")
        await page.fill("input[name=login]", "xiaoming")
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/chats")
        found = await links(page, demo)
        for template in PAGES:
            path = template.format(**found)
            response = await page.goto(demo + path)
            assert response is not None and response.status == 200, (path, response)
            await page.wait_for_load_state("networkidle")
            problems[path] = await violations(page)
    finally:
        await context.close()
    failing = {path: found for path, found in problems.items() if found}
    report = "\n".join(f"{path}:\n  " + "\n  ".join(found) for path, found in failing.items())
    assert not failing, f"axe ({size}, {language}):\n{report}"
