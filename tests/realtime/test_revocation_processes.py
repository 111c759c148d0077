"""The end of an account's sessions reaching real `quanzi serve` processes: `quanzi user
disable`, run as a process of its own, closes the account's native stream and its Mastodon
streams (WebSocket and server-sent events) within seconds, and nothing sent on them after is
stored. On SQLite there is no Redis, so the command's event reaches no server: the revocation
comes through the database. On PostgreSQL, two servers share Redis, with sockets on both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from quanzi.config import Settings
from tests.helpers import ROOT, ServerProcess, settings_env
from tests.socket_helpers import closed_with
from tests.test_chat_processes import account, all_messages, auth, befriend_and_open, stream

pytestmark = pytest.mark.slow

WAIT = 10.0  # seconds a close may take ("within a few seconds")


def quanzi(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quanzi", *args],
        env={**os.environ, **env},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def mastodon_socket(base: str, token: str) -> ClientConnection:
    url = base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}&stream=user"
    ws = await connect(url)
    # Subscriptions are handled in order; the answer to an unknown stream says it is in place.
    await ws.send(json.dumps({"type": "subscribe", "stream": "no-such-stream"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["status"] == 400
    return ws


async def test_disabling_an_account_from_the_command_line_closes_its_sockets_everywhere(
    settings: Settings,
) -> None:
    env = settings_env(settings) | {"QUANZI_RATE_MASTODON_ACCOUNT": "100000/5 minutes"}
    servers = [ServerProcess(env) for _ in range(2 if settings.redis_url else 1)]
    try:
        await asyncio.gather(*(s.ready() for s in servers))
        first, last = servers[0].base, servers[-1].base
        alice, bob = await account(first, "alice"), await account(first, "bob")
        conversation = await befriend_and_open(first, alice, bob)
        natives = [await stream(s.base, alice) for s in servers]
        mastodon = await mastodon_socket(last, alice["token"])
        bystander = await stream(last, bob)
        async with (
            httpx.AsyncClient(timeout=WAIT) as client,
            client.stream(
                "GET", f"{first}/api/v1/streaming/user", headers=auth(alice)
            ) as event_stream,
        ):
            assert event_stream.status_code == 200

            quanzi(env, "user", "disable", "alice")
            for n, ws in enumerate(natives):  # sent before the server has closed the socket
                send = {"type": "message.send", "conversation_id": conversation}
                with_id = send | {"client_msg_id": f"late-{n}", "text": "sent after disabling"}
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(json.dumps(with_id))

            for ws in natives:
                assert await closed_with(ws) == 4001
            assert await closed_with(mastodon) == 4001
            async with asyncio.timeout(WAIT):  # the event stream ends as a response does
                async for _ in event_stream.aiter_bytes():
                    pass

        stored = await all_messages(first, bob, conversation)
        assert not [m for m in stored if m["sender_id"] == alice["id"]]
        await bystander.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(WAIT):  # still open: answered (after any presence frame)
            while json.loads(await bystander.recv())["type"] != "pong":
                pass
        await bystander.close()
    finally:
        for server in servers:
            server.stop()
