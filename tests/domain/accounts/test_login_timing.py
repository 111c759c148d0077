"""A wrong password and an unknown account take the same time to refuse, at the real
production cost of argon2id (the rest of the suite uses a cheap one)."""

from __future__ import annotations

import statistics
import time

import httpx
import pytest
from fastapi import FastAPI

from quanzi.config import Settings
from quanzi.domain.accounts.passwords import Passwords
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow


async def test_unknown_account_costs_the_same_as_a_wrong_password(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    defaults = Settings.model_fields
    app.state.services.passwords = Passwords(
        defaults["argon2_time_cost"].default,
        defaults["argon2_memory_kib"].default,
        defaults["argon2_parallelism"].default,
    )
    r = await client.post(
        "/api/quanzi/v1/accounts",
        json={"handle": "timed", "password": PASSWORD, "display_name": "T"},
    )
    assert r.status_code == 201

    async def attempt(login: str) -> float:
        started = time.perf_counter()
        r = await client.post(
            "/api/quanzi/v1/sessions", json={"login": login, "password": "wrong one"}
        )
        assert r.status_code == 401
        return time.perf_counter() - started

    wrong, unknown = [], []
    for _ in range(7):  # interleaved, so machine noise falls on both alike
        wrong.append(await attempt("timed"))
        unknown.append(await attempt("no_such_person"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    # Without the dummy verification an unknown login would answer ~100x faster.
    assert 0.6 < ratio < 1.6, (wrong, unknown)
    assert statistics.median(wrong) > 0.005  # the real cost was in force
