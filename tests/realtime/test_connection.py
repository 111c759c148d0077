"""One connection type for every socket door (realtime/connection.py), through real sockets:
the native stream, Mastodon's streaming WebSocket and its server-sent event streams all
take their token the same way (api/credentials.py), are held to one same-origin rule for
cookies, drop a client that does not keep up with 1013 and close on revocation with 4001."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from quanzi.obs import metrics
from quanzi.realtime.connection import (
    CLOSE_SESSION_REVOKED,
    CLOSE_TRY_AGAIN_LATER,
    Connection,
)
from tests.helpers import Personas, User
from tests.socket_helpers import closed_with, silent_client, until, upgrade

NATIVE = "/api/quanzi/v1/stream"
MASTODON = "/api/v1/streaming"
WAIT = 5.0
DOORS = ["native", "mastodon-socket", "mastodon-events"]


def _ws(base: str, path: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + path + (f"?{query}" if query else "")


async def _first(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WAIT)))


async def _mastodon_user_stream(ws: ClientConnection) -> None:
    """Subscribed to `user` (which needs a person): the answer to an unknown stream after it
    says the subscription was taken, else the refusal comes first."""
    await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
    await ws.send(json.dumps({"type": "subscribe", "stream": "no-such-stream"}))
    assert await _first(ws) == {"error": "Unknown stream type", "status": 400}


async def _silent_client(base: str, door: str, me: User) -> asyncio.StreamWriter:
    if door == "native":
        _, writer = await silent_client(base, upgrade(NATIVE, me.token))
    elif door == "mastodon-socket":
        _, writer = await silent_client(base, upgrade(MASTODON, me.token))
    else:
        _, writer = await silent_client(
            base,
            f"GET {MASTODON}/user HTTP/1.1\r\nHost: {{host}}\r\n"
            f"Authorization: Bearer {me.token}\r\n\r\n",
        )
    return writer


@pytest.mark.parametrize("door", DOORS)
async def test_a_client_that_never_reads_is_dropped_with_1013_and_others_keep_theirs(
    app: FastAPI, live: str, people: Personas, door: str
) -> None:
    """Every door's connection has the same bounded queue: a client that does not read is
    closed with 1013 once its queue is full, its memory stays bounded all along, and another
    socket of the same person (on another door) goes on."""
    services = app.state.services
    services.gateway.queue_limit = 8
    me = await people.register(f"sloth{DOORS.index(door)}")
    async with connect(_ws(live, NATIVE), additional_headers=me.auth) as reading:
        assert (await _first(reading))["type"] == "hello"
        await until(lambda: len(services.gateway.connections_of(int(me.id))) == 1)
        (kept,) = services.gateway.connections_of(int(me.id))
        writer = await _silent_client(live, door, me)
        await until(lambda: len(services.gateway.connections_of(int(me.id))) == 2)
        (slow,) = services.gateway.connections_of(int(me.id)) - {kept}
        assert isinstance(slow, Connection)
        before = metrics.ws_dropped.labels("slow_consumer")._value.get()
        big = "x" * 65536
        for _ in range(400):  # ~26 MB offered to a client that reads nothing
            slow.push(big)
            assert len(slow._queue) <= 8  # memory stays bounded all along
            if slow.closed:
                break
            await asyncio.sleep(0)
        await until(lambda: services.gateway.connections_of(int(me.id)) == {kept})
        assert slow.closed and slow.close_code == CLOSE_TRY_AGAIN_LATER
        assert metrics.ws_dropped.labels("slow_consumer")._value.get() == before + 1
        await reading.send(json.dumps({"type": "ping"}))
        assert (await _first(reading))["type"] == "pong"
        writer.close()


async def test_revocation_closes_the_session_on_every_door(live: str, people: Personas) -> None:
    """One revocation path: the native stream, the Mastodon WebSocket and the Mastodon event
    stream of an ended session are closed (4001; the event stream ends), those of another
    session of the same person stay open."""
    me = await people.register("everydoor")
    doomed = await people.login("everydoor")
    native = await connect(_ws(live, NATIVE), additional_headers=doomed.auth)
    assert (await _first(native))["type"] == "hello"
    mastodon = await connect(_ws(live, MASTODON, f"access_token={doomed.token}"))
    await _mastodon_user_stream(mastodon)
    kept = await connect(_ws(live, MASTODON, f"access_token={me.token}"))
    await _mastodon_user_stream(kept)
    async with (
        httpx.AsyncClient(timeout=WAIT) as client,
        client.stream("GET", f"{live}{MASTODON}/user", headers=doomed.auth) as events,
    ):
        assert events.status_code == 200
        r = await people.client.delete(
            f"/api/quanzi/v1/sessions/{doomed.session_id}", headers=me.auth
        )
        assert r.status_code == 204
        for ws in (native, mastodon):
            assert await closed_with(ws) == CLOSE_SESSION_REVOKED
        async with asyncio.timeout(WAIT):  # the event stream ends as a response does
            async for _ in events.aiter_bytes():
                pass
    await _mastodon_user_stream(kept)  # still answered
    await kept.close()


async def test_a_cookie_opens_the_native_stream_from_our_own_origin_only(
    live: str, people: Personas
) -> None:
    me = await people.register("cookiedoor")
    cookie = {"Cookie": f"quanzi_session={me.token}"}
    host = urlsplit(live).netloc
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            _ws(live, NATIVE), additional_headers=cookie, origin="https://evil.example"
        ):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"]["code"] == "csrf"
    with pytest.raises(InvalidStatus) as refused:  # no Origin at all: not from our pages
        async with connect(_ws(live, NATIVE), additional_headers=cookie):
            pass
    assert refused.value.response.status_code == 403
    for origin in (f"http://{host}", live):
        async with connect(_ws(live, NATIVE), additional_headers=cookie, origin=origin) as ws:  # type: ignore[arg-type]
            assert (await _first(ws))["type"] == "hello"


async def test_a_cookie_is_no_credential_on_mastodons_streams(live: str, people: Personas) -> None:
    """Mastodon's door takes tokens only (the web pages use the native stream): with the
    session cookie alone, from our origin or another, the user streams need a token."""
    me = await people.register("cookiemasto")
    cookie = {"Cookie": f"quanzi_session={me.token}"}
    host = urlsplit(live).netloc
    for origin in (f"http://{host}", "https://evil.example"):
        async with connect(_ws(live, MASTODON), additional_headers=cookie, origin=origin) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
            assert await _first(ws) == {"error": "Missing access token", "status": 401}
        async with httpx.AsyncClient(timeout=WAIT) as client:
            r = await client.get(f"{live}{MASTODON}/user", headers=cookie | {"Origin": origin})
        assert r.status_code == 401


@pytest.mark.parametrize("place", ["header", "query", "cookie", "subprotocol"])
async def test_the_native_stream_takes_a_token_in_each_of_its_places(
    live: str, people: Personas, place: str
) -> None:
    """A bearer header, `access_token=`, or the pages' cookie (from our origin); not the
    subprotocol, which is Mastodon's."""
    me = await people.register(f"nplace{place[:3]}")
    options: dict[str, Any] = {}
    url = _ws(live, NATIVE)
    if place == "header":
        options["additional_headers"] = me.auth
    elif place == "query":
        url = _ws(live, NATIVE, f"access_token={me.token}")
    elif place == "cookie":
        options["additional_headers"] = {"Cookie": f"quanzi_session={me.token}"}
        options["origin"] = live
    else:
        options["subprotocols"] = [me.token]
    if place == "subprotocol":
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, **options):
                pass
        assert refused.value.response.status_code == 401
        return
    async with connect(url, **options) as ws:
        hello = await _first(ws)
    assert hello["type"] == "hello" and hello["payload"]["account_id"] == me.id


@pytest.mark.parametrize("place", ["header", "query", "subprotocol"])
async def test_mastodons_socket_takes_a_token_in_each_of_its_places(
    live: str, people: Personas, place: str
) -> None:
    me = await people.register(f"mplace{place[:3]}")
    options: dict[str, Any] = {}
    url = _ws(live, MASTODON)
    if place == "header":
        options["additional_headers"] = me.auth
    elif place == "query":
        url = _ws(live, MASTODON, f"access_token={me.token}")
    else:
        options["subprotocols"] = [me.token]
    async with connect(url, **options) as ws:
        if place == "subprotocol":
            assert ws.subprotocol == me.token
        await _mastodon_user_stream(ws)  # a person's stream: the token was taken


@pytest.mark.parametrize("place", ["header", "query"])
async def test_mastodons_event_streams_take_a_token_in_each_of_their_places(
    live: str, people: Personas, place: str
) -> None:
    me = await people.register(f"eplace{place[:3]}")
    headers = me.auth if place == "header" else {}
    query = f"?access_token={me.token}" if place == "query" else ""
    async with (
        httpx.AsyncClient(timeout=WAIT) as client,
        client.stream("GET", f"{live}{MASTODON}/user{query}", headers=headers) as r,
    ):
        assert r.status_code == 200
    async with httpx.AsyncClient(timeout=WAIT) as client:
        r = await client.get(f"{live}{MASTODON}/user")
    assert r.status_code == 401  # and none at all is refused


async def test_a_wrong_token_is_refused_before_the_upgrade_on_both_sockets(
    live: str,
) -> None:
    for url, status in ((_ws(live, NATIVE), 401), (_ws(live, MASTODON), 401)):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers={"Authorization": "Bearer qz_wrong"}):
                pass
        assert refused.value.response.status_code == status
