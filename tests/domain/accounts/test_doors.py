"""Tokens and doors: which kind of token each door takes (domain/accounts/doors.py), and the end
of a session reaching every process (domain/accounts/revocations.py), through the real app, a
real uvicorn server on loopback and real sockets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.db.models import Account
from quanzi.domain.accounts.actions import do_set_status
from quanzi.domain.accounts.queries import access_account
from quanzi.domain.chat.send import Draft
from quanzi.errors import Unauthorized
from tests.api.native.test_stream import open_stream, recv, ws_url
from tests.chat_helpers import Chat
from tests.conftest import serve_in_loop
from tests.helpers import Personas

APP_SCOPES = ("read", "profile", "read write follow push")


# The native door: REST, the stream, the session cookie


async def test_app_token_is_refused_by_the_native_stream(live: str, people: Personas) -> None:
    """An app given `read` or `profile` must not receive private chats and Moments live, nor
    send messages as the person: the stream refuses it before accepting, as REST does."""
    await people.register("streamapp")
    for scope in APP_SCOPES:
        token = await people.app_token("streamapp", scope)
        for url, headers in (
            (ws_url(live, token), {}),
            (ws_url(live), {"Authorization": f"Bearer {token}"}),
        ):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 403, scope
            body = refused.value.response.body
            assert body is not None and b'"code":"oauth_token"' in body


async def test_app_token_in_the_session_cookie_opens_neither_the_api_nor_a_page(
    client: httpx.AsyncClient, live: str, people: Personas
) -> None:
    me = await people.register("cookieapp")
    token = await people.app_token("cookieapp", "read")
    as_app, as_me = {"Cookie": f"quanzi_session={token}"}, {"Cookie": f"quanzi_session={me.token}"}

    r = await client.get("/api/quanzi/v1/accounts/me", headers=as_app)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "oauth_token")
    assert (await client.get("/api/quanzi/v1/accounts/me", headers=as_me)).status_code == 200

    page = await client.get("/chats", headers=as_app)  # as if logged out: off to log in
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert (await client.get("/chats", headers=as_me)).status_code == 200

    host = live.removeprefix("http://")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(live), additional_headers=as_app, origin=f"http://{host}"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403


# Sends from a session that ended between its authentication and its frame


@pytest.fixture
async def chat(people: Personas) -> tuple[Chat, Chat, str]:
    alice = Chat(people.client, await people.register("alice"))
    bob = Chat(people.client, await people.register("bob"))
    await alice.befriend(bob)
    return alice, bob, await alice.direct_id(bob)


async def test_message_from_a_revoked_session_is_not_stored(
    app: FastAPI, people: Personas, chat: tuple[Chat, Chat, str]
) -> None:
    """An open socket holds the principal it was opened with: a frame that arrives after its
    session was revoked, before the socket is closed, must not be stored."""
    alice, bob, conversation = chat
    services = app.state.services
    held = await services.auth.authenticate(alice.user.token)
    tablet = await people.login("alice", device="tablet")
    r = await people.client.delete(
        f"/api/quanzi/v1/sessions/{alice.user.session_id}", headers=tablet.auth
    )
    assert r.status_code == 204
    with pytest.raises(Unauthorized) as refused:
        await services.sender.send(held, int(conversation), Draft("late", "too late"))
    assert refused.value.code == "invalid_token"
    assert "too late" not in await bob.texts(conversation)
    assert (await alice.send(conversation, "from the tablet")).status_code == 401
    assert (await Chat(people.client, tablet).send(conversation, "still mine")).status_code == 201


async def test_message_from_a_disabled_account_is_not_stored(
    app: FastAPI, chat: tuple[Chat, Chat, str]
) -> None:
    alice, bob, conversation = chat
    services = app.state.services
    held = await services.auth.authenticate(alice.user.token)
    async with services.write() as tx:
        account = await access_account(tx, None, int(alice.id))
        await do_set_status(tx, account, "suspended")
    with pytest.raises(Unauthorized):
        await services.sender.send(held, int(conversation), Draft("late", "after suspension"))
    assert "after suspension" not in await bob.texts(conversation)


# A revocation reaches a process that the bus does not


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, str]]:
    """An app with its own services (a server process of its own), served on loopback."""
    application = create_app(settings)
    async with application.router.lifespan_context(application), serve_in_loop(application) as base:
        yield application, base


async def test_revoking_a_session_closes_its_sockets_where_the_bus_does_not_reach(
    settings: Settings,
) -> None:
    """Two processes on one database with no Redis between them: revoking a session on one
    closes that session's socket on the other (and only that one), and the other forgets the
    token at once rather than trusting its cache for QUANZI_SESSION_CACHE_SECONDS."""
    apart = settings.model_copy(update={"redis_url": None})
    async with running(apart) as (here, _), running(apart) as (there, there_base):
        transport = httpx.ASGITransport(app=here)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=there), base_url="http://testserver"
            ) as client_there,
        ):
            people = Personas(client)
            phone = await people.register("twoplaces")
            tablet = await people.login("twoplaces", device="tablet")
            doomed, kept = (
                await open_stream(there_base, phone),
                await open_stream(there_base, tablet),
            )
            me = "/api/quanzi/v1/accounts/me"
            assert (await client_there.get(me, headers=phone.auth)).status_code == 200  # cached

            r = await client.delete(
                f"/api/quanzi/v1/sessions/{phone.session_id}", headers=tablet.auth
            )
            assert r.status_code == 204
            with pytest.raises(ConnectionClosed):
                await recv(doomed, timeout=10)
            assert doomed.close_code == 4001
            assert (await client_there.get(me, headers=phone.auth)).status_code == 401
            await kept.send('{"type": "ping"}')
            assert (await recv(kept))["type"] == "pong"
            await kept.close()


async def test_an_account_enabled_again_keeps_the_sockets_of_its_new_sessions(
    settings: Settings,
) -> None:
    """Disabling ends every session made until then, in every process; a session made after
    the account is enabled again is not one of them, however often the revocation is read."""
    apart = settings.model_copy(update={"redis_url": None})
    async with running(apart) as (here, _), running(apart) as (there, there_base):
        transport = httpx.ASGITransport(app=here)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            people = Personas(client)
            before = await people.register("comeback")
            old = await open_stream(there_base, before)
            services = here.state.services
            for status in ("disabled", "active"):
                async with services.write() as tx:
                    account = await tx.session.get(Account, int(before.id))
                    await do_set_status(tx, account, status)
            with pytest.raises(ConnectionClosed):
                await recv(old, timeout=10)
            after = await people.login("comeback")
            new = await open_stream(there_base, after)
            for _ in range(2):  # the process reads the revocation again: the new socket stays
                await there.state.services.revocations.poll()
            await new.send('{"type": "ping"}')
            assert (await recv(new))["type"] == "pong"
            await new.close()
