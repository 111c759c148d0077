"""Idempotency-Key: a retried create returns the original; a different request is refused."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from quanzi.db.models import Account, Media
from tests.helpers import PASSWORD, Personas, encode, picture

BODY = {"handle": "retrier", "password": PASSWORD, "display_name": "Retrier"}


async def count(app: FastAPI, model: type) -> int:
    async with app.state.services.read() as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_retried_registration_returns_the_original(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": "signup-1"}
    first = await client.post("/api/quanzi/v1/accounts", json=BODY, headers=headers)
    second = await client.post("/api/quanzi/v1/accounts", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert await count(app, Account) == 1


async def test_same_key_with_a_different_body_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": "signup-2"}
    await client.post("/api/quanzi/v1/accounts", json=BODY, headers=headers)
    other = await client.post(
        "/api/quanzi/v1/accounts", json={**BODY, "handle": "someone_else"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await count(app, Account) == 1


async def test_without_a_key_a_repeat_is_a_new_request(client: httpx.AsyncClient) -> None:
    await client.post("/api/quanzi/v1/accounts", json=BODY)
    again = await client.post("/api/quanzi/v1/accounts", json=BODY)
    assert again.status_code == 409


async def test_concurrent_retries_create_one_object(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(client.post("/api/quanzi/v1/accounts", json=BODY, headers=headers) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(app, Account) == 1


async def test_keys_are_per_account(app: FastAPI, people: Personas) -> None:
    a = await people.register("keyholder_a")
    b = await people.register("keyholder_b")
    image = encode(picture(), "PNG")
    ids = []
    for user in (a, b, a):
        r = await people.client.post(
            "/api/quanzi/v1/media",
            files={"file": ("a.png", image, "image/png")},
            headers={**user.auth, "Idempotency-Key": "same-key"},
        )
        assert r.status_code == 201
        ids.append(r.json()["id"])
    assert ids[0] == ids[2] != ids[1]
    assert await count(app, Media) == 2


async def test_replayed_upload_leaves_no_stray_files(app: FastAPI, people: Personas) -> None:
    me = await people.register("uploader")
    headers = {**me.auth, "Idempotency-Key": "upload-1"}
    image = encode(picture(), "PNG")
    for _ in range(3):
        await people.client.post(
            "/api/quanzi/v1/media", files={"file": ("a.png", image, "image/png")}, headers=headers
        )
    files = [p for p in app.state.services.settings.media_path.rglob("*") if p.is_file()]
    assert len(files) == 2  # one image and its thumbnail


async def test_bad_keys_are_refused(client: httpx.AsyncClient) -> None:
    for key in [b"x" * 256, b"has space", "ünïcode".encode()]:
        r = await client.post(
            "/api/quanzi/v1/accounts", json=BODY, headers={"Idempotency-Key": key}
        )
        assert r.status_code == 422, key
