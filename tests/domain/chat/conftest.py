"""Fixtures of the chat tests."""

from __future__ import annotations

import pytest

from tests.chat_helpers import Chat, people_with_chat
from tests.helpers import Personas


@pytest.fixture
async def pals(people: Personas) -> tuple[Chat, Chat, Chat]:
    """Alice and Bob are friends; Carol is a stranger to both."""
    alice, bob, carol = await people_with_chat(people, "alice", "bob", "carol")
    await alice.befriend(bob)
    return alice, bob, carol
