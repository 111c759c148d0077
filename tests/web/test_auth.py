"""The web client's doors: log in, register, log out, CSRF, security headers, language."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import PASSWORD, Personas
from tests.web_helpers import WebUser


@pytest.fixture
async def browser(client: httpx.AsyncClient) -> AsyncIterator[WebUser]:
    user = WebUser(client)
    yield user
    await user.close()


async def test_start_page_sends_visitors_to_log_in(browser: WebUser) -> None:
    r = await browser.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = await browser.get("/chats")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/chats"
    html = await browser.page("/login")
    assert 'name="csrf_token"' in html
    csp = (await browser.get("/login")).headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_register_logs_in_and_shows_the_chats(browser: WebUser) -> None:
    await browser.register("webnewbie", "新来的")
    cookie = browser.c.cookies.get("quanzi_session")
    assert cookie
    html = await browser.page("/chats")
    assert "No chats yet" in html
    assert 'data-stream="/api/quanzi/v1/stream"' in html


async def test_register_errors_are_shown_on_the_form(browser: WebUser, people: Personas) -> None:
    await people.register("takenname")
    await browser.get("/register")
    r = await browser.post(
        "/register", {"handle": "takenname", "display_name": "X", "password": PASSWORD}
    )
    assert r.status_code == 409
    assert "taken" in r.text and 'value="takenname"' in r.text  # kept what was typed


async def test_wrong_password_is_refused_without_saying_which_part(
    browser: WebUser, people: Personas
) -> None:
    await people.register("someone")
    await browser.get("/login")
    wrong = await browser.post("/login", {"login": "someone", "password": "nope nope nope"})
    unknown = await browser.post("/login", {"login": "nobody", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong login or password" in wrong.text and "Wrong login or password" in unknown.text
    assert "quanzi_session" not in browser.c.cookies


async def test_log_in_goes_back_where_it_was_asked_but_never_off_site(
    browser: WebUser, people: Personas
) -> None:
    await people.register("returning")
    await browser.get("/login")
    r = await browser.post(
        "/login", {"login": "returning", "password": PASSWORD, "next": "/chats/new/group"}
    )
    assert r.headers["location"] == "/chats/new/group"
    await browser.post("/logout")
    await browser.get("/login")
    r = await browser.post(
        "/login", {"login": "returning", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert r.headers["location"] == "/chats"


async def test_forms_without_the_csrf_token_are_refused(browser: WebUser, people: Personas) -> None:
    await people.register("victim")
    await browser.log_in("victim")
    forged = await browser.c.post("/chats/new/group", data={"name": "x"})
    assert forged.status_code == 403
    wrong = await browser.c.post("/chats/new/group", data={"name": "x", "csrf_token": "A" * 43})
    assert wrong.status_code == 403
    htmx = await browser.c.post(
        "/chats/new/group", data={"name": "x"}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#toast"


async def test_log_out_ends_the_session(browser: WebUser, people: Personas) -> None:
    await people.register("leaver")
    await browser.log_in("leaver")
    token = browser.c.cookies.get("quanzi_session")
    r = await browser.post("/logout")
    assert r.status_code == 303
    check = await browser.c.get(
        "/api/quanzi/v1/accounts/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert check.status_code == 401


async def test_language_follows_the_browser_and_the_choice(browser: WebUser) -> None:
    zh = await browser.c.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert 'lang="zh-CN"' in zh.text and "登录" in zh.text
    en = await browser.c.get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="en"' in en.text and "Log in" in en.text
    await browser.get("/login")
    r = await browser.post("/language", {"language": "zh_CN", "next": "/login"})
    assert r.status_code == 303
    chosen = await browser.c.get("/login", headers={"accept-language": "en"})
    assert 'lang="zh-CN"' in chosen.text and "登录" in chosen.text
