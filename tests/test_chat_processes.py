"""Chats across real server processes: a crash in the middle of sending, and a receiver on
another process than the sender."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from quanzi.config import Settings
from tests.helpers import PASSWORD, ServerProcess, settings_env

pytestmark = pytest.mark.slow


async def account(base: str, handle: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post(
            "/api/quanzi/v1/accounts",
            json={"handle": handle, "password": PASSWORD, "display_name": handle},
        )
        assert r.status_code == 201, r.text
        r = await c.post("/api/quanzi/v1/sessions", json={"login": handle, "password": PASSWORD})
        return {"id": r.json()["account"]["id"], "token": r.json()["token"]}


def auth(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


async def befriend_and_open(base: str, a: dict[str, str], b: dict[str, str]) -> str:
    async with httpx.AsyncClient(base_url=base) as c:
        await c.patch(
            "/api/quanzi/v1/accounts/me",
            json={"privacy": {"add_needs_verification": False}},
            headers=auth(b),
        )
        r = await c.post(
            "/api/quanzi/v1/friend-requests", json={"account_id": b["id"]}, headers=auth(a)
        )
        assert r.json()["friends"] is True
        r = await c.post(
            "/api/quanzi/v1/conversations/direct", json={"account_id": b["id"]}, headers=auth(a)
        )
        return str(r.json()["id"])


async def stream(base: str, user: dict[str, str]) -> ClientConnection:
    ws = await connect(
        base.replace("http://", "ws://") + "/api/quanzi/v1/stream",
        additional_headers=auth(user),
        max_queue=None,
    )
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws


async def all_messages(base: str, user: dict[str, str], conv: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        after = 0
        while True:
            r = await c.get(
                f"/api/quanzi/v1/conversations/{conv}/messages",
                params={"after_seq": after, "limit": 500},
                headers=auth(user),
            )
            page = r.json()["items"]
            if not page:
                return got
            got += page
            after = page[-1]["seq"]


async def test_acknowledged_messages_survive_a_kill_and_retries_do_not_duplicate(
    settings: Settings,
) -> None:
    env = settings_env(settings)
    server = ServerProcess(env)
    try:
        await server.ready()
        alice, bob = await account(server.base, "alice"), await account(server.base, "bob")
        conv = await befriend_and_open(server.base, alice, bob)
        ws = await stream(server.base, alice)
        acked: dict[str, int] = {}
        enough, progress = asyncio.Event(), asyncio.Event()

        async def read_acks() -> None:
            try:
                while True:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "message.ack":
                        payload = frame["payload"]
                        acked[payload["client_msg_id"]] = payload["message"]["seq"]
                        progress.set()
                        if len(acked) >= 300:
                            enough.set()
            except ConnectionClosed:
                progress.set()

        reader = asyncio.create_task(read_acks())
        sent = 0
        for i in range(3000):
            await ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation_id": conv,
                        "client_msg_id": f"k{i}",
                        "text": f"message {i}",
                    }
                )
            )
            sent += 1
            if len(acked) >= 300:
                break
            # A client keeps a bounded number of sends in flight (as the apps do): one that
            # let its acknowledgements pile up unread would be disconnected as too slow.
            while sent - len(acked) >= 100 and not reader.done():
                progress.clear()
                await asyncio.wait_for(progress.wait(), 30)
        await asyncio.wait_for(enough.wait(), 30)
        in_flight = sent - len(acked)
        server.signal(signal.SIGKILL)  # mid-flight: sends are queued and being written
        assert in_flight > 0
        assert await server.wait() == -signal.SIGKILL
        await asyncio.wait_for(reader, 10)
    finally:
        server.stop()

    restarted = ServerProcess(env)
    try:
        await restarted.ready()
        stored = await all_messages(restarted.base, bob, conv)
        counts = Counter(m["client_msg_id"] for m in stored)
        assert all(n == 1 for n in counts.values())
        assert set(acked) <= set(counts)  # every acknowledged message is there
        assert set(counts) <= {f"k{i}" for i in range(sent)}
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        for m in stored:
            if m["client_msg_id"] in acked:
                assert m["seq"] == acked[m["client_msg_id"]]
        # The client retries everything it did not see acknowledged, and some it did.
        async with httpx.AsyncClient(base_url=restarted.base, timeout=30) as c:
            for i in range(0, 600):
                r = await c.post(
                    f"/api/quanzi/v1/conversations/{conv}/messages",
                    json={"client_msg_id": f"k{i}", "text": f"message {i}"},
                    headers=auth(alice),
                )
                assert r.status_code == 201
                if f"k{i}" in counts:
                    assert r.headers.get("idempotent-replayed") == "true"
        after = await all_messages(restarted.base, bob, conv)
        again = Counter(m["client_msg_id"] for m in after)
        assert all(n == 1 for n in again.values())
        assert {f"k{i}" for i in range(600)} <= set(again)
        assert [m["seq"] for m in after] == list(range(1, len(after) + 1))
    finally:
        restarted.stop()


async def test_receiver_on_another_process_gets_live_and_missed_messages(
    settings: Settings,
) -> None:
    redis_url = settings.redis_url or os.environ.get("QUANZI_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set QUANZI_TEST_REDIS_URL: processes share events through Redis")
    env = settings_env(settings) | {"QUANZI_REDIS_URL": redis_url}
    one, two = ServerProcess(env), ServerProcess(env)
    try:
        await asyncio.gather(one.ready(), two.ready())
        alice, bob = await account(one.base, "alice"), await account(one.base, "bob")
        conv = await befriend_and_open(one.base, alice, bob)
        async with httpx.AsyncClient(base_url=one.base, timeout=30) as c:

            async def say(i: int) -> int:
                r = await c.post(
                    f"/api/quanzi/v1/conversations/{conv}/messages",
                    json={"client_msg_id": f"p{i}", "text": f"#{i}"},
                    headers=auth(alice),
                )
                assert r.status_code == 201
                return int(r.json()["seq"])

            bob_ws = await stream(two.base, bob)  # Bob is on the other process
            seq = await say(0)
            async with asyncio.timeout(5):
                while True:
                    frame = json.loads(await bob_ws.recv())
                    if frame["type"] == "message.new":
                        assert frame["payload"]["seq"] == seq
                        break
            await bob_ws.close()
            for i in range(1, 1001):
                await say(i)
        bob_ws = await stream(two.base, bob)
        missed = [m for m in await all_messages(two.base, bob, conv) if m["seq"] > seq]
        assert [m["seq"] for m in missed] == list(range(seq + 1, seq + 1001))
        assert [m["client_msg_id"] for m in missed] == [f"p{i}" for i in range(1, 1001)]
        await bob_ws.close()
    finally:
        one.stop()
        two.stop()
