"""Fixtures for the web client's tests: browsers (cookie jars) on the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.web_helpers import WebUser

NewBrowser = Callable[[str], Awaitable[WebUser]]


@pytest.fixture
async def browser_for(client: httpx.AsyncClient) -> AsyncIterator[NewBrowser]:
    """Makes a registered, logged-in browser per handle."""
    made: list[WebUser] = []

    async def make(handle: str) -> WebUser:
        user = WebUser(client)
        await user.register(handle)
        made.append(user)
        return user

    yield make
    for user in made:
        await user.close()
