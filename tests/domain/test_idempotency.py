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


# Every door that creates goes through the one entry point (domain/idempotency.create_once).

POSTS = "/api/quanzi/v1/posts"


async def test_retried_square_post_repost_and_comment_return_the_original(
    people: Personas,
) -> None:
    me = await people.register("square_retrier")

    async def twice(path: str, body: dict[str, str], key: str) -> str:
        headers = {**me.auth, "Idempotency-Key": key}
        first = await people.client.post(path, json=body, headers=headers)
        again = await people.client.post(path, json=body, headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert first.json() == again.json()
        assert "idempotent-replayed" not in first.headers
        assert again.headers["idempotent-replayed"] == "true"
        other = {name: f"{value} (changed)" for name, value in body.items()}
        refused = await people.client.post(path, json=other, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "idempotency_key_reused"
        return str(first.json()["id"])

    post = await twice(POSTS, {"text": "只发一次 once"}, "post-1")
    await twice(f"{POSTS}/{post}/reposts", {"comment": "转 again"}, "repost-1")
    await twice(f"{POSTS}/{post}/comments", {"text": "评论 a comment"}, "comment-1")
    comments = await people.client.get(f"{POSTS}/{post}/comments", headers=me.auth)
    assert len(comments.json()["items"]) == 1
    reposts = await people.client.get(f"{POSTS}/{post}/reposts", headers=me.auth)
    assert len(reposts.json()["items"]) == 1


async def test_a_replayed_comment_is_missing_once_its_post_is_deleted(people: Personas) -> None:
    """A replay answers with what the original made, as the viewer may see it now."""
    me = await people.register("late_retrier")
    post = (await people.client.post(POSTS, json={"text": "原帖 original"}, headers=me.auth)).json()
    path = f"{POSTS}/{post['id']}/comments"
    headers = {**me.auth, "Idempotency-Key": "comment-late"}
    assert (await people.client.post(path, json={"text": "评"}, headers=headers)).status_code == 201
    await people.client.delete(f"{POSTS}/{post['id']}", headers=me.auth)
    again = await people.client.post(path, json={"text": "评"}, headers=headers)
    assert again.status_code == 404


async def test_mastodon_post_and_reply_with_one_key_are_made_once(people: Personas) -> None:
    await people.register("masto_retrier")
    token = await people.app_token("masto_retrier", "read write")
    auth = {"Authorization": f"Bearer {token}"}
    made = []
    for body, key in [({"status": "只发一次 toot"}, "toot-1"), (None, "reply-1")]:
        if body is None:
            body = {"status": "回复 reply", "in_reply_to_id": made[0]["id"]}
        headers = {**auth, "Idempotency-Key": key}
        first = await people.client.post("/api/v1/statuses", data=body, headers=headers)
        again = await people.client.post("/api/v1/statuses", data=body, headers=headers)
        assert first.status_code == again.status_code == 200, again.text
        assert first.json()["id"] == again.json()["id"]
        assert first.json()["content"] == again.json()["content"]
        made.append(first.json())
    context = await people.client.get(f"/api/v1/statuses/{made[0]['id']}/context", headers=auth)
    assert [s["id"] for s in context.json()["descendants"]] == [made[1]["id"]]
