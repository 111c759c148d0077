"""Registration, account numbers, log in, sessions and account lifecycle."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from quanzi.db.models import AuthSession
from quanzi.domain.accounts.sessions import FLUSH_BATCH
from tests.helpers import PASSWORD, Personas, assert_missing_file, load_file


async def register(client: httpx.AsyncClient, handle: str, **extra: object) -> httpx.Response:
    body = {"handle": handle, "password": PASSWORD, "display_name": handle.title(), **extra}
    return await client.post("/api/quanzi/v1/accounts", json=body)


async def login(client: httpx.AsyncClient, who: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/quanzi/v1/sessions", json={"login": who, "password": password})


# Registration


async def test_register_returns_own_account_with_first_number(client: httpx.AsyncClient) -> None:
    r = await register(client, "xiaoming", display_name="小明")
    assert r.status_code == 201
    me = r.json()
    assert me["handle"] == "xiaoming"
    assert me["display_name"] == "小明"
    assert me["number"] == 10001
    assert isinstance(me["id"], str) and me["id"].isdigit()
    assert "password" not in str(me)


async def test_account_numbers_are_allocated_in_order(client: httpx.AsyncClient) -> None:
    numbers = [(await register(client, f"user{i}")).json()["number"] for i in range(3)]
    assert numbers == [10001, 10002, 10003]


async def test_concurrent_registrations_get_distinct_numbers(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(register(client, f"racer{i}") for i in range(12)))
    assert all(r.status_code == 201 for r in responses)
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(10001, 10013))


async def test_handle_is_unique_ignoring_case(client: httpx.AsyncClient) -> None:
    assert (await register(client, "LiLei")).status_code == 201
    r = await register(client, "lilei")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "handle_taken"


async def test_handle_keeps_the_case_it_was_registered_with(client: httpx.AsyncClient) -> None:
    r = await register(client, "HanMeimei")
    assert r.json()["handle"] == "HanMeimei"


async def test_bad_handles_are_refused(client: httpx.AsyncClient) -> None:
    for handle in ["ab", "has space", "中文名", "1starts_with_digit", "x" * 31, "dash-ed"]:
        r = await register(client, handle)
        assert r.status_code == 422, handle
        assert r.json()["error"]["code"] in ("invalid_handle", "invalid_request"), handle


async def test_reserved_handles_are_taken(client: httpx.AsyncClient) -> None:
    r = await register(client, "Admin")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "handle_taken"


async def test_chinese_display_names_are_allowed_and_cleaned(client: httpx.AsyncClient) -> None:
    r = await register(client, "meimei", display_name="  韩\u200b梅梅\t ")
    assert r.status_code == 201
    assert r.json()["display_name"] == "韩梅梅"


async def test_short_password_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/quanzi/v1/accounts",
        json={"handle": "shorty", "password": "1234", "display_name": "S"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "weak_password"


async def test_email_is_unique_and_optional(client: httpx.AsyncClient) -> None:
    assert (await register(client, "first", email="Same@Example.com")).status_code == 201
    r = await register(client, "second", email="same@example.com")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "email_taken"
    assert (await register(client, "bad_mail", email="not-an-email")).status_code == 422


async def test_registration_closed(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.services.settings.registration = "closed"
    r = await register(client, "latecomer")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "registration_closed"


async def test_registration_by_invite(
    app: FastAPI, client: httpx.AsyncClient, people: Personas
) -> None:
    services = app.state.services
    from quanzi.domain.accounts.actions import Registration, create_account

    await create_account(services, Registration("boss", PASSWORD, "Boss"), role="admin")
    boss = await people.login("boss")
    services.settings.registration = "invite"
    r = await register(client, "guest")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invite_required"

    r = await client.post("/api/quanzi/v1/invites", json={"max_uses": 1}, headers=boss.auth)
    assert r.status_code == 201
    code = r.json()["code"]
    assert (await register(client, "guest", invite_code="wrong")).json()["error"]["code"] == (
        "invalid_invite"
    )
    assert (await register(client, "guest", invite_code=code)).status_code == 201
    used_up = await register(client, "guest2", invite_code=code)
    assert used_up.status_code == 422
    listed = await client.get("/api/quanzi/v1/invites", headers=boss.auth)
    assert listed.json()["items"][0]["uses"] == 1


async def test_only_admins_create_invites(people: Personas) -> None:
    user = await people.register("plainuser")
    r = await people.client.post("/api/quanzi/v1/invites", json={}, headers=user.auth)
    assert r.status_code == 403


# Logging in


async def test_login_by_handle_number_or_email(client: httpx.AsyncClient) -> None:
    me = (await register(client, "Triple", email="triple@example.com")).json()
    for who in ["triple", "TRIPLE", str(me["number"]), "Triple@Example.com"]:
        r = await login(client, who)
        assert r.status_code == 201, who
        assert r.json()["account"]["id"] == me["id"]
        assert r.json()["token"].startswith("qz_")


async def test_wrong_password_and_unknown_account_answer_the_same(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "victim")
    wrong = await login(client, "victim", "not the password")
    unknown = await login(client, "nobody_here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    assert set(wrong.headers) - {"x-request-id"} == set(unknown.headers) - {"x-request-id"}


async def test_token_is_stored_hashed(app: FastAPI, people: Personas) -> None:
    from sqlalchemy import select

    from quanzi.db.models import AuthSession

    user = await people.register("hashed")
    async with app.state.services.read() as tx:
        stored = (await tx.session.execute(select(AuthSession.token_hash))).scalars().all()
    assert all(user.token.encode() not in h and len(h) == 32 for h in stored)


async def test_me_needs_a_valid_token(client: httpx.AsyncClient, people: Personas) -> None:
    user = await people.register("tokened")
    assert (await client.get("/api/quanzi/v1/accounts/me")).status_code == 401
    bad = await client.get(
        "/api/quanzi/v1/accounts/me", headers={"Authorization": "Bearer qz_nope"}
    )
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_token"
    ok = await client.get("/api/quanzi/v1/accounts/me", headers=user.auth)
    assert ok.json()["handle"] == "tokened"


async def test_sessions_are_listed_with_device_and_last_use(people: Personas) -> None:
    user = await people.register("devices")
    phone = await people.login("devices", device="Xiaomi 14")
    r = await people.client.get("/api/quanzi/v1/sessions", headers=phone.auth)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [s["device_name"] for s in items] == ["Xiaomi 14", "test device"]
    assert [s["current"] for s in items] == [True, False]
    assert all(s["last_used_at"] for s in items)
    assert items[1]["id"] == user.session_id


async def test_last_use_is_written_for_every_session_used(app: FastAPI, people: Personas) -> None:
    """Sessions used since the last flush get their "last used" time, however many they are
    (they are written in batches)."""
    await people.register("busy")
    devices = [await people.login("busy", device=f"device {i}") for i in range(FLUSH_BATCH + 5)]

    auth = app.state.services.auth

    async def last_used() -> dict[str, datetime]:
        async with app.state.services.db.read_session() as session:
            rows = await session.execute(select(AuthSession.id, AuthSession.last_used_at))
            return {str(i): at for i, at in rows}

    await auth.flush()
    before = await last_used()
    await asyncio.sleep(0.01)
    for device in devices:
        r = await people.client.get("/api/quanzi/v1/accounts/me", headers=device.auth)
        assert r.status_code == 200
    await auth.flush()
    after = await last_used()
    assert all(after[d.session_id] > before[d.session_id] for d in devices)


async def test_log_out_ends_only_this_session(people: Personas) -> None:
    first = await people.register("twice")
    second = await people.login("twice")
    r = await people.client.delete("/api/quanzi/v1/sessions/current", headers=first.auth)
    assert r.status_code == 204
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=first.auth)
    ).status_code == 401
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=second.auth)
    ).status_code == 200


async def test_revoke_another_device(people: Personas) -> None:
    first = await people.register("revoker")
    second = await people.login("revoker")
    r = await people.client.delete(
        f"/api/quanzi/v1/sessions/{second.session_id}", headers=first.auth
    )
    assert r.status_code == 204
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=second.auth)
    ).status_code == 401


async def test_cannot_revoke_someone_elses_session(people: Personas) -> None:
    me = await people.register("mine")
    other = await people.register("theirs")
    r = await people.client.delete(f"/api/quanzi/v1/sessions/{other.session_id}", headers=me.auth)
    assert r.status_code == 404
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=other.auth)
    ).status_code == 200


async def test_log_out_everywhere(people: Personas) -> None:
    tokens = [await people.register("everywhere")] + [
        await people.login("everywhere") for _ in range(2)
    ]
    r = await people.client.delete("/api/quanzi/v1/sessions", headers=tokens[0].auth)
    assert r.status_code == 204
    for user in tokens:
        assert (
            await people.client.get("/api/quanzi/v1/accounts/me", headers=user.auth)
        ).status_code == 401


async def test_log_out_everywhere_else(people: Personas) -> None:
    keep = await people.register("elsewhere")
    other = await people.login("elsewhere")
    r = await people.client.delete("/api/quanzi/v1/sessions?keep_current=true", headers=keep.auth)
    assert r.status_code == 204
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=keep.auth)
    ).status_code == 200
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=other.auth)
    ).status_code == 401


async def test_login_cookie_is_httponly_and_samesite(client: httpx.AsyncClient) -> None:
    await register(client, "webby")
    r = await client.post(
        "/api/quanzi/v1/sessions", json={"login": "webby", "password": PASSWORD, "cookie": True}
    )
    cookie = r.headers["set-cookie"]
    assert "quanzi_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over plain http in this test
    me = await client.get("/api/quanzi/v1/accounts/me")
    assert me.json()["handle"] == "webby"


async def test_cookie_is_secure_over_https(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        await register(c, "secure")
        r = await c.post(
            "/api/quanzi/v1/sessions",
            json={"login": "secure", "password": PASSWORD, "cookie": True},
        )
    assert "Secure" in r.headers["set-cookie"]


async def test_cookie_is_not_trusted_cross_site(client: httpx.AsyncClient) -> None:
    await register(client, "csrfvictim")
    await client.post(
        "/api/quanzi/v1/sessions",
        json={"login": "csrfvictim", "password": PASSWORD, "cookie": True},
    )
    evil = await client.patch(
        "/api/quanzi/v1/accounts/me",
        json={"bio": "pwned"},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    assert evil.json()["error"]["code"] == "csrf"
    own = await client.patch(
        "/api/quanzi/v1/accounts/me", json={"bio": "mine"}, headers={"Origin": "http://testserver"}
    )
    assert own.status_code == 200
    assert own.json()["bio"] == "mine"


# Password and account lifecycle


async def test_change_password_logs_out_other_devices(people: Personas) -> None:
    me = await people.register("changer")
    other = await people.login("changer")
    c = people.client
    wrong = await c.post(
        "/api/quanzi/v1/accounts/me/password",
        json={"current_password": "nope", "new_password": "a new password"},
        headers=me.auth,
    )
    assert wrong.status_code == 422
    r = await c.post(
        "/api/quanzi/v1/accounts/me/password",
        json={"current_password": PASSWORD, "new_password": "a new password"},
        headers=me.auth,
    )
    assert r.status_code == 204
    assert (await c.get("/api/quanzi/v1/accounts/me", headers=me.auth)).status_code == 200
    assert (await c.get("/api/quanzi/v1/accounts/me", headers=other.auth)).status_code == 401
    assert (await login(c, "changer")).status_code == 401
    assert (await login(c, "changer", "a new password")).status_code == 201


async def test_delete_account_erases_it_and_keeps_handle_and_number(people: Personas) -> None:
    c = people.client
    me = await people.register("leaver", email="leaver@example.com")
    upload = await c.post(
        "/api/quanzi/v1/media", files={"file": ("a.png", _png())}, headers=me.auth
    )
    media_id = upload.json()["id"]
    changed = await c.patch(
        "/api/quanzi/v1/accounts/me", json={"avatar_id": media_id, "bio": "bye"}, headers=me.auth
    )
    avatar_url = changed.json()["avatar_url"]
    assert (await load_file(c, avatar_url)).status_code == 200
    wrong = await c.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": "x"}, headers=me.auth
    )
    assert wrong.status_code == 422
    r = await c.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": PASSWORD}, headers=me.auth
    )
    assert r.status_code == 204
    assert (await c.get("/api/quanzi/v1/accounts/me", headers=me.auth)).status_code == 401
    assert (await c.get(f"/api/quanzi/v1/accounts/{me.id}")).status_code == 404
    await assert_missing_file(c, avatar_url)
    assert (await c.get(f"/api/quanzi/v1/media/{media_id}")).status_code == 404
    assert (await login(c, "leaver")).status_code == 401
    again = await register(c, "Leaver")
    assert again.status_code == 409  # the handle is never given to anyone else
    newcomer = await register(c, "newcomer", email="leaver@example.com")
    assert newcomer.status_code == 201  # the email address itself was erased
    assert newcomer.json()["number"] == me.number + 1  # numbers are not reused


async def test_delete_account_removes_its_files(app: FastAPI, people: Personas) -> None:
    me = await people.register("filer")
    await people.client.post(
        "/api/quanzi/v1/media", files={"file": ("a.png", _png())}, headers=me.auth
    )
    media_dir = app.state.services.settings.media_path
    assert any(p.is_file() for p in media_dir.rglob("*"))
    await people.client.request(
        "DELETE", "/api/quanzi/v1/accounts/me", json={"password": PASSWORD}, headers=me.auth
    )
    assert not any(p.is_file() for p in media_dir.rglob("*"))


async def test_disabled_account_cannot_log_in(app: FastAPI, people: Personas) -> None:
    from sqlalchemy import select

    from quanzi.db.models import Account
    from quanzi.domain.accounts.actions import do_set_status

    me = await people.register("troll")
    async with app.state.services.write() as tx:
        account = (await tx.session.execute(select(Account))).scalar_one()
        await do_set_status(tx, account, "disabled")
    assert (
        await people.client.get("/api/quanzi/v1/accounts/me", headers=me.auth)
    ).status_code == 401
    r = await login(people.client, "troll")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_disabled"
    assert (await login(people.client, "troll", "wrong password")).status_code == 401


def _png() -> bytes:
    from tests.helpers import encode, picture

    return encode(picture(), "PNG")
