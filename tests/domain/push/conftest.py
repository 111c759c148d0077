from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from quanzi.config import Settings
from tests.chat_helpers import Chat, people_with_chat
from tests.conftest import make_settings
from tests.helpers import Personas
from tests.push_receiver import PushService, serving_push


@pytest.fixture
def settings(database_url: str, tmp_path: Path, backend: str) -> Settings:
    """Push endpoints on loopback (the test's push service) are allowed here."""
    return make_settings(
        database_url, tmp_path, backend, push_allow_private=True, jobs_poll_seconds=0.1
    )


@pytest.fixture
async def service() -> AsyncIterator[PushService]:
    async with serving_push() as running:
        yield running


@pytest.fixture
async def pals(people: Personas) -> tuple[Chat, Chat, Chat]:
    """Alice and Bob are friends; Carol is a stranger to both."""
    alice, bob, carol = await people_with_chat(people, "alice", "bob", "carol")
    await alice.befriend(bob)
    return alice, bob, carol


async def settled(app: FastAPI, timeout: float = 20) -> None:
    """Wait until no push job is queued or running (a retry waiting its backoff counts)."""
    queue = app.state.services.jobs.queue
    deadline = time.monotonic() + timeout
    while True:
        waiting = [
            j.function
            for j in await queue.listing(("queued", "active"))
            if j.function.startswith("push_")
        ]
        if not waiting:
            return
        assert time.monotonic() < deadline, waiting
        await asyncio.sleep(0.05)
