"""The realtime gateway at /api/quanzi/v1/stream, through a real uvicorn server and real sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from quanzi.obs import metrics
from quanzi.realtime.events import Event
from tests.conftest import serve_in_loop
from tests.helpers import Personas, User
from tests.socket_helpers import silent_client, until, upgrade


def ws_url(base: str, token: str | None = None) -> str:
    url = base.replace("http://", "ws://") + "/api/quanzi/v1/stream"
    return f"{url}?access_token={token}" if token else url


async def recv(ws: ClientConnection, timeout: float = 3) -> dict[str, Any]:
    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert set(frame) == {"type", "payload"}
    return dict(frame)


async def open_stream(base: str, user: User) -> ClientConnection:
    ws = await connect(ws_url(base), additional_headers=user.auth)
    hello = await recv(ws)
    assert hello["type"] == "hello"
    return ws


async def test_stream_needs_a_valid_token(live: str, people: Personas) -> None:
    for url in (ws_url(live), ws_url(live, "qz_wrong")):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "unauthorized"


async def test_hello_names_the_account_and_session(live: str, people: Personas) -> None:
    me = await people.register("greeted")
    async with connect(ws_url(live, me.token)) as ws:
        hello = await recv(ws)
    assert hello["type"] == "hello"
    assert hello["payload"]["account_id"] == me.id
    assert hello["payload"]["session_id"] == me.session_id


async def test_ping_pong_and_bad_frames(live: str, people: Personas) -> None:
    me = await people.register("pinger")
    ws = await open_stream(live, me)
    await ws.send(json.dumps({"type": "ping", "id": 7}))
    assert await recv(ws) == {"type": "pong", "payload": {"id": 7}}
    for bad in ("not json", "[1]", json.dumps({"type": "dance"})):
        await ws.send(bad)
        error = await recv(ws)
        assert error["type"] == "error"
        assert error["payload"]["code"] in {"bad_frame", "unknown_type"}
    await ws.send(json.dumps({"type": "ping"}))
    assert (await recv(ws))["type"] == "pong"  # still open after bad frames
    await ws.close()


async def test_profile_change_reaches_my_other_devices_only(live: str, people: Personas) -> None:
    me = await people.register("multidevice")
    tablet = await people.login("multidevice", device="tablet")
    other = await people.register("bystander")
    phone_ws, tablet_ws, other_ws = [await open_stream(live, u) for u in (me, tablet, other)]
    r = await people.client.patch(
        "/api/quanzi/v1/accounts/me", json={"display_name": "新名字"}, headers=me.auth
    )
    assert r.status_code == 200
    for ws in (phone_ws, tablet_ws):
        event = await recv(ws)
        assert event["type"] == "account.updated"
        assert event["payload"]["display_name"] == "新名字"
        assert event["payload"] == r.json()
    with pytest.raises(TimeoutError):
        await recv(other_ws, timeout=0.3)
    for ws in (phone_ws, tablet_ws, other_ws):
        await ws.close()


async def test_failed_change_sends_no_event(live: str, people: Personas) -> None:
    me = await people.register("nochange")
    ws = await open_stream(live, me)
    r = await people.client.patch(
        "/api/quanzi/v1/accounts/me", json={"gender": "robot"}, headers=me.auth
    )
    assert r.status_code == 422
    with pytest.raises(TimeoutError):
        await recv(ws, timeout=0.3)
    await ws.close()


async def test_revoked_session_socket_is_closed(live: str, people: Personas) -> None:
    me = await people.register("revokedsock")
    other_device = await people.login("revokedsock")
    doomed = await open_stream(live, other_device)
    kept = await open_stream(live, me)
    r = await people.client.delete(
        f"/api/quanzi/v1/sessions/{other_device.session_id}", headers=me.auth
    )
    assert r.status_code == 204
    with pytest.raises(ConnectionClosed):
        await recv(doomed)
    assert doomed.close_code == 4001
    await kept.send(json.dumps({"type": "ping"}))
    assert (await recv(kept))["type"] == "pong"
    await kept.close()


async def test_log_out_everywhere_closes_every_socket(live: str, people: Personas) -> None:
    me = await people.register("allout")
    second = await people.login("allout")
    sockets = [await open_stream(live, u) for u in (me, second)]
    await people.client.delete("/api/quanzi/v1/sessions", headers=me.auth)
    for ws in sockets:
        with pytest.raises(ConnectionClosed):
            await recv(ws)
        assert ws.close_code == 4001


async def _raw_stream(base: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket client that completes the handshake and then never reads again."""
    return await silent_client(base, upgrade("/api/quanzi/v1/stream", token))


async def test_client_that_stops_reading_is_disconnected(
    app: FastAPI, live: str, people: Personas
) -> None:
    services = app.state.services
    services.gateway.queue_limit = 8
    me = await people.register("sloth")
    _reader, writer = await _raw_stream(live, me.token)
    await until(lambda: services.gateway.connections_of(int(me.id)))
    conn = next(iter(services.gateway.connections_of(int(me.id))))
    before = metrics.ws_dropped.labels("slow_consumer")._value.get()
    big = {"blob": "x" * 65536}
    for _ in range(400):  # ~26 MB offered to a client that reads nothing
        await services.bus.publish([Event("test.blob", big, (int(me.id),))])
        assert len(conn._queue) <= 8  # memory stays bounded all along
        if conn.closed:
            break
        await asyncio.sleep(0)
    await until(lambda: not services.gateway.connections_of(int(me.id)))
    assert conn.closed
    assert metrics.ws_dropped.labels("slow_consumer")._value.get() == before + 1
    writer.close()


async def test_heartbeat_drops_a_silent_client_and_keeps_a_live_one(
    app: FastAPI, people: Personas
) -> None:
    services = app.state.services
    me = await people.register("heartbeat")
    async with serve_in_loop(app, ws_ping_interval=0.2, ws_ping_timeout=0.3) as base:
        alive = await open_stream(base, me)  # the websockets client answers pings itself
        _reader, writer = await _raw_stream(base, me.token)
        await until(lambda: len(services.gateway.connections_of(int(me.id))) == 2)
        await until(lambda: len(services.gateway.connections_of(int(me.id))) == 1, timeout=5)
        await alive.send(json.dumps({"type": "ping"}))
        assert (await recv(alive))["type"] == "pong"
        writer.close()
        await alive.close()


async def test_shutdown_closes_sockets_with_1012(app: FastAPI, people: Personas) -> None:
    me = await people.register("restarter")
    serving = serve_in_loop(app)
    base = await serving.__aenter__()
    ws = await open_stream(base, me)
    await serving.__aexit__(None, None, None)
    with pytest.raises(ConnectionClosed):
        await recv(ws)
    assert ws.close_code == 1012
