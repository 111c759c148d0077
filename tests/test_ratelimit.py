"""Registration and log in are rate-limited per address and per account, in memory when
embedded and in Redis when configured (so limits hold across processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.domain.accounts.passwords import Passwords
from tests.api.mastodon.test_mastodon_oauth import register_app
from tests.helpers import PASSWORD
from tests.web_helpers import WebUser


@asynccontextmanager
async def client_from(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def signup(c: httpx.AsyncClient, handle: str) -> httpx.Response:
    return await c.post(
        "/api/quanzi/v1/accounts",
        json={"handle": handle, "password": PASSWORD, "display_name": handle},
    )


async def login(c: httpx.AsyncClient, who: str, password: str = PASSWORD) -> httpx.Response:
    return await c.post("/api/quanzi/v1/sessions", json={"login": who, "password": password})


async def test_registration_is_limited_per_address(app: FastAPI) -> None:
    app.state.services.settings.rate_register_ip = "3/hour"
    async with client_from(app, "10.0.0.1") as one, client_from(app, "10.0.0.2") as two:
        for i in range(3):
            assert (await signup(one, f"first{i}")).status_code == 201
        refused = await signup(one, "first3")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        assert (await signup(two, "second0")).status_code == 201


async def test_login_is_limited_per_address(app: FastAPI) -> None:
    app.state.services.settings.rate_login_ip = "4/minute"
    async with client_from(app, "10.0.0.3") as c:
        await signup(c, "someone")
        for _ in range(3):
            assert (await login(c, "someone")).status_code == 201
        assert (await login(c, "someone")).status_code == 201  # the fourth
        r = await login(c, "someone")
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60


async def test_failed_logins_lock_the_account_from_any_address(app: FastAPI) -> None:
    app.state.services.settings.rate_login_account = "3/minute"
    async with client_from(app, "10.0.1.1") as setup:
        await signup(setup, "target")
        await signup(setup, "bystander")
    for i in range(3):
        async with client_from(app, f"10.0.2.{i}") as attacker:
            assert (await login(attacker, "TARGET", "guess")).status_code == 401
    async with client_from(app, "10.0.3.1") as owner:
        locked = await login(owner, "target")  # even the right password waits
        assert locked.status_code == 429
        assert (await login(owner, "bystander")).status_code == 201


async def test_unknown_accounts_are_limited_the_same(app: FastAPI) -> None:
    app.state.services.settings.rate_login_account = "2/minute"
    async with client_from(app, "10.0.4.1") as c:
        await signup(c, "realone")
        answers = []
        for who in ("realone", "ghost"):
            for _ in range(3):
                answers.append((who, (await login(c, who, "bad")).status_code))
    assert [s for w, s in answers if w == "realone"] == [401, 401, 429]
    assert [s for w, s in answers if w == "ghost"] == [401, 401, 429]


async def test_successful_logins_do_not_count_against_the_account(app: FastAPI) -> None:
    app.state.services.settings.rate_login_account = "2/minute"
    async with client_from(app, "10.0.5.1") as c:
        await signup(c, "regular")
        for _ in range(5):
            assert (await login(c, "regular")).status_code == 201


async def test_limits_hold_across_processes_when_redis_is_configured(
    app: FastAPI, settings: Settings
) -> None:
    """Two app instances share one Redis: attempts on one count on the other. Embedded, each
    process keeps its own counts (and says so in docs/configuration.md)."""
    settings.rate_login_ip = "2/minute"
    second = create_app(settings)
    async with (
        second.router.lifespan_context(second),
        client_from(app, "10.0.6.1") as a,
        client_from(second, "10.0.6.1") as b,
    ):
        assert (await login(a, "nobody1", "x")).status_code == 401
        assert (await login(a, "nobody2", "x")).status_code == 401
        assert (await login(a, "nobody3", "x")).status_code == 429
        on_second = (await login(b, "nobody4", "x")).status_code
    assert on_second == (429 if settings.redis_url else 401)


async def test_failed_logins_lock_every_spelling_of_the_account(app: FastAPI) -> None:
    """The lock is the account's: not the handle in another case, the number with leading
    zeros, nor the email address gets past it, on any door that logs in."""
    app.state.services.settings.rate_login_account = "3/minute"
    async with client_from(app, "10.0.7.1") as c:
        r = await c.post(
            "/api/quanzi/v1/accounts",
            json={
                "handle": "target",
                "password": PASSWORD,
                "display_name": "T",
                "email": "Target@Example.com",
            },
        )
        number = r.json()["number"]
        await signup(c, "bystander")
        for _ in range(3):
            assert (await login(c, "target", "guess")).status_code == 401
        spellings = ["TARGET", " target\n", str(number), f"00{number}", "target@example.COM"]
        for spelling in spellings:
            r = await login(c, spelling)
            assert (r.status_code, r.json()["error"]["code"]) == (429, "rate_limited"), spelling
        browser = WebUser(c)
        await browser.get("/login")
        web = await browser.post("/login", {"login": f"0{number}", "password": PASSWORD})
        await browser.close()
        assert web.status_code == 429
        app_ = await register_app(c)
        grant = await c.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app_.client_id,
                "client_secret": app_.client_secret,
                "username": "TARGET@example.com",
                "password": PASSWORD,
            },
        )
        assert (grant.status_code, grant.json()["error"]) == (429, "rate_limited")
        assert (await login(c, "bystander")).status_code == 201


async def test_a_name_that_is_no_account_locks_as_an_account_does(app: FastAPI) -> None:
    """Failures against a made-up name count against the name in its one spelling, so the
    limiter answers the same for a name that exists and one that does not."""
    app.state.services.settings.rate_login_account = "2/minute"
    async with client_from(app, "10.0.8.1") as c:
        r = await signup(c, "realone")
        real = r.json()["number"]
        ghost = real + 500
        answers: dict[str, list[int]] = {}
        for who, number in (("real", real), ("ghost", ghost)):
            tries = [str(number), f"0{number}", f"000{number}"]
            answers[who] = [(await login(c, n, "bad")).status_code for n in tries]
        await signup(c, "realtwo")
        for who, handle in (("real-handle", "realtwo"), ("ghost-handle", "ghostone")):
            tries = [handle, handle.upper(), f"@{handle}"]
            answers[who] = [(await login(c, n, "bad")).status_code for n in tries]
    assert answers["real"] == answers["ghost"] == [401, 401, 429]
    assert answers["real-handle"] == answers["ghost-handle"] == [401, 401, 429]


class CountedPasswords(Passwords):
    """The real hasher, counting the passwords it checks."""

    tried = 0

    def _verify(self, password_hash: str | None, password: str) -> bool:
        self.tried += 1
        return super()._verify(password_hash, password)


async def test_guesses_sent_at_once_cannot_pass_the_limit_together(app: FastAPI) -> None:
    """Each guess is checked against the limit and counted while it holds a hashing slot, so
    of twelve guesses in flight at once three are tried and the rest refused unchecked (a
    right password among the rest would not be tried either)."""
    services = app.state.services
    services.settings.rate_login_account = "3/minute"
    services.passwords = hasher = CountedPasswords(2, 16384, 1, slots=1)  # slow: they overlap
    async with client_from(app, "10.0.9.1") as c:
        await signup(c, "popular")
        answers = await asyncio.gather(*(login(c, "popular", f"guess {i}") for i in range(12)))
    assert sorted(r.status_code for r in answers) == [401] * 3 + [429] * 9
    assert hasher.tried == 3
