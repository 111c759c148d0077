"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright, against a real
`quanzi serve` process on loopback (SQLite, or PostgreSQL + Redis, as the other tests).

Playwright never downloads a browser here: it launches /usr/bin/chromium (`.ci/browser`
installs it, with the fonts that Chinese text needs)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from quanzi.config import Settings
from tests.helpers import PASSWORD, ServerProcess, free_port, settings_env

CHROMIUM = os.environ.get("QUANZI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """A real server process with its public address set to where the browser reaches it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = ServerProcess(
        settings_env(settings)
        | {"QUANZI_PUBLIC_URL": base, "QUANZI_RATE_FRIEND_REQUEST": "1000/hour"},
        port,
    )
    try:
        await process.ready()
        yield base
    finally:
        process.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/browser (installs Debian's chromium)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Person:
    """Someone at a browser: their own context (cookies), a page, and their account."""

    handle: str
    context: BrowserContext
    page: Page
    base: str
    errors: list[str]

    async def go(self, path: str) -> None:
        await self.page.goto(self.base + path)

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=10)


NewPerson = Callable[..., Awaitable[Person]]


@pytest.fixture
async def person(browser: Browser, server: str) -> AsyncIterator[NewPerson]:
    """Opens a browser context for someone, registered through the web page."""
    made: list[Person] = []

    async def make(
        handle: str,
        name: str | None = None,
        *,
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        register: bool = True,
    ) -> Person:
        context = await browser.new_context(viewport=viewport or PHONE, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"{e} {getattr(e, 'stack', '')}"))
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" else None,
        )
        someone = Person(handle, context, page, server, errors)
        made.append(someone)
        if register:
            await someone.go("/register")
            await page.get_by_label("Handle", exact=True).fill(handle)
            await page.get_by_label("Name", exact=True).fill(name or handle.title())
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Create account").click()
            await page.wait_for_url("**/chats")
        return someone

    yield make
    for someone in made:
        await someone.context.close()
    for someone in made:
        # No script errors and no content-security-policy violations on any page.
        assert not someone.errors, (someone.handle, someone.errors)
