"""Real `quanzi serve` processes: several sharing PostgreSQL + Redis, graceful shutdown,
structured logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from quanzi.config import Settings
from tests.helpers import PASSWORD, ServerProcess, encode, picture, settings_env

pytestmark = pytest.mark.slow


async def sign_up(base: str, handle: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post(
            "/api/quanzi/v1/accounts",
            json={"handle": handle, "password": PASSWORD, "display_name": handle},
        )
        assert r.status_code == 201, r.text
        r = await c.post("/api/quanzi/v1/sessions", json={"login": handle, "password": PASSWORD})
        return r.json()["account"]["id"], r.json()["token"]


def stream_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://") + f"/api/quanzi/v1/stream?access_token={token}"


async def test_event_from_one_process_reaches_a_socket_on_another(settings: Settings) -> None:
    """Two processes share the database (PostgreSQL, or one SQLite file) and Redis."""
    redis_url = settings.redis_url or os.environ.get("QUANZI_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set QUANZI_TEST_REDIS_URL: processes share events through Redis")
    env = settings_env(settings) | {"QUANZI_REDIS_URL": redis_url}
    a = ServerProcess(env)
    b = ServerProcess(env)
    try:
        await asyncio.gather(a.ready(), b.ready())
        _, token = await sign_up(a.base, "twoplaces")
        async with connect(stream_url(b.base, token)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            async with httpx.AsyncClient(base_url=a.base) as c:
                r = await c.patch(
                    "/api/quanzi/v1/accounts/me",
                    json={"bio": "跨进程"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code == 200
            event = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert event["type"] == "account.updated"
        assert event["payload"]["bio"] == "跨进程"
        # A session revoked on one process stops working on the other at once.
        async with httpx.AsyncClient() as c:
            auth = {"Authorization": f"Bearer {token}"}
            assert (
                await c.get(f"{b.base}/api/quanzi/v1/accounts/me", headers=auth)
            ).status_code == 200
            await c.delete(f"{a.base}/api/quanzi/v1/sessions/current", headers=auth)
            assert (
                await c.get(f"{b.base}/api/quanzi/v1/accounts/me", headers=auth)
            ).status_code == 401
    finally:
        a.stop()
        b.stop()


def _multipart(boundary: str, data: bytes) -> tuple[bytes, bytes]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + data[:100], data[100:] + f"\r\n--{boundary}--\r\n".encode()


async def test_sigterm_finishes_in_flight_requests_and_closes_sockets_with_1012(
    settings: Settings,
) -> None:
    server = ServerProcess(settings_env(settings))
    try:
        await server.ready()
        _, token = await sign_up(server.base, "graceful")
        ws = await connect(stream_url(server.base, token))
        assert json.loads(await ws.recv())["type"] == "hello"

        gate = asyncio.Event()
        boundary = uuid.uuid4().hex
        first, rest = _multipart(boundary, encode(picture((300, 200)), "PNG"))

        async def body():  # type: ignore[no-untyped-def]
            yield first
            await gate.wait()
            yield rest

        client = httpx.AsyncClient(base_url=server.base, timeout=20)
        upload = asyncio.create_task(
            client.post(
                "/api/quanzi/v1/media",
                content=body(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
        )
        await asyncio.sleep(0.5)  # the upload is in flight, half sent
        server.signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1012
        with pytest.raises(httpx.ConnectError):  # no longer accepting
            async with httpx.AsyncClient() as other:
                await other.get(f"{server.base}/healthz")
        gate.set()
        response = await upload
        await client.aclose()
        assert response.status_code == 201, response.text
        assert response.json()["width"] == 300
        # uvicorn re-raises the signal once it has shut down cleanly, as a service should.
        assert await server.wait() in (0, -signal.SIGTERM)
    finally:
        server.stop()


async def test_logs_are_json_with_request_ids(settings: Settings) -> None:
    env = settings_env(settings) | {
        "QUANZI_LOG_LEVEL": "info",
        "QUANZI_LOG_FORMAT": "json",
        "QUANZI_ACCESS_LOG": "true",
    }
    server = ServerProcess(env)
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.base) as c:
            r = await c.get("/api/quanzi/v1/server", headers={"X-Request-Id": "trace-me-42"})
            assert r.headers["x-request-id"] == "trace-me-42"
        server.signal(signal.SIGTERM)
        await server.wait()
        lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
        mine = [line for line in lines if line.get("request_id") == "trace-me-42"]
        assert mine, server.output()
        assert mine[0]["path"] == "/api/quanzi/v1/server"
        assert mine[0]["status"] == 200
        assert {"timestamp", "level", "event"} <= set(mine[0])
    finally:
        server.stop()
