"""Checks of the current password by a logged-in session (changing it, deleting the account)
are limited per session and per account, and their hashing cannot crowd out log-ins."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI

from quanzi.domain.accounts.passwords import Passwords
from tests.helpers import PASSWORD, Personas, User
from tests.web_helpers import WebUser

ME = "/api/quanzi/v1/accounts/me"


async def change_password(client: httpx.AsyncClient, user: User, current: str) -> httpx.Response:
    return await client.post(
        f"{ME}/password",
        json={"current_password": current, "new_password": "another good password"},
        headers=user.auth,
    )


async def delete_account(client: httpx.AsyncClient, user: User, password: str) -> httpx.Response:
    return await client.request("DELETE", ME, json={"password": password}, headers=user.auth)


def limited(r: httpx.Response) -> bool:
    return (
        r.status_code == 429
        and r.json()["error"]["code"] == "rate_limited"
        and int(r.headers["retry-after"]) >= 1
    )


async def test_a_session_guessing_the_current_password_is_stopped(
    app: FastAPI, client: httpx.AsyncClient, people: Personas
) -> None:
    """The (N+1)th check of a session in the window answers 429, even with the right
    password; a log-in still succeeds meanwhile, and another session may still check."""
    app.state.services.settings.rate_reauth_session = "3/minute"
    thief = await people.register("victim")
    assert (await change_password(client, thief, "guess 1")).status_code == 422
    assert (await change_password(client, thief, "guess 2")).status_code == 422
    assert (await delete_account(client, thief, "guess 3")).status_code == 422
    assert limited(await change_password(client, thief, "guess 4"))
    assert limited(await delete_account(client, thief, PASSWORD))
    owner = await people.login("victim")  # log in is not held up
    assert (await change_password(client, owner, PASSWORD)).status_code == 204


async def test_wrong_current_passwords_are_limited_per_account_across_sessions(
    app: FastAPI, client: httpx.AsyncClient, people: Personas
) -> None:
    app.state.services.settings.rate_reauth_account = "2/hour"
    first = await people.register("shared")
    second = await people.login("shared")
    assert (await change_password(client, first, "guess 1")).status_code == 422
    assert (await delete_account(client, second, "guess 2")).status_code == 422
    third = await people.login("shared")
    assert limited(await change_password(client, third, PASSWORD))
    other = await people.register("neighbour")
    assert (await change_password(client, other, PASSWORD)).status_code == 204


async def test_the_web_password_page_is_limited_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.state.services.settings.rate_reauth_session = "2/minute"
    browser = WebUser(client)
    try:
        await browser.register("webby")
        await browser.get("/me/password")
        form = {"new_password": "another good password", "repeat_password": "another good password"}
        for guess in ("guess 1", "guess 2"):
            r = await browser.post("/me/password", {**form, "current_password": guess})
            assert r.status_code == 422
        r = await browser.post("/me/password", {**form, "current_password": PASSWORD})
        assert r.status_code == 429
        assert "Too many attempts" in r.text
    finally:
        await browser.close()


class Watched(Passwords):
    """The real hasher, noting how many verifications of each kind run at once (the kind is
    told by the password: re-checks guess "recheck …")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self.running: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.logins_beside_waiting_rechecks = 0
        self.rechecks_started = 0

    def _verify(self, password_hash: str | None, password: str) -> bool:
        kind = password.split()[0]
        with self._lock:
            self.running[kind] += 1
            self.peak[kind] = max(self.peak[kind], self.running[kind])
            self.peak["all"] = max(self.peak["all"], self.running.total())
            if kind == "recheck":
                self.rechecks_started += 1
            elif self.rechecks_started < RECHECKS:
                self.logins_beside_waiting_rechecks += 1
        try:
            return super()._verify(password_hash, password)
        finally:
            with self._lock:
                self.running[kind] -= 1


RECHECKS = 8


async def test_rechecks_hash_one_at_a_time_and_log_ins_go_beside_them() -> None:
    hasher = Watched(2, 8192, 1, slots=2, recheck_slots=1)
    stored = await hasher.hash("the real one")
    rechecks = [hasher.verify(stored, f"recheck {i}", recheck=True) for i in range(RECHECKS)]
    logins = [hasher.verify(stored, f"login {i}") for i in range(3)]
    results = await asyncio.gather(*rechecks, *logins)
    assert results == [False] * (RECHECKS + 3)
    assert hasher.peak["recheck"] == 1  # guesses queue behind one another
    assert hasher.peak["all"] <= 2  # never more hashes at once than slots
    assert hasher.logins_beside_waiting_rechecks == 3  # log-ins did not wait for the queue
