"""Subscribing (domain/push/actions.py): one subscription per session, what is refused, and
that the server only calls public https push services unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quanzi.config import Settings
from quanzi.kit import webpush
from tests.conftest import make_settings
from tests.helpers import Personas
from tests.push_receiver import PushService


@pytest.fixture
def settings(database_url: str, tmp_path: Path, backend: str) -> Settings:
    """The default: push endpoints must be public https URLs."""
    return make_settings(database_url, tmp_path, backend)


def body(endpoint: str = "https://push.example.net/send/abc", **extra: Any) -> dict[str, Any]:
    service = PushService(base="https://push.example.net")
    return service.device("x").subscription() | {"endpoint": endpoint} | extra


async def test_bad_subscriptions_are_refused_with_a_reason(people: Personas) -> None:
    me = await people.register("alice")
    c = people.client

    async def put(json: dict[str, Any]) -> tuple[int, str]:
        r = await c.put("/api/quanzi/v1/push/subscription", json=json, headers=me.auth)
        return r.status_code, r.json()["error"]["code"] if r.status_code != 200 else ""

    for endpoint in (
        "http://push.example.net/x",  # not https
        "https://127.0.0.1/x",  # the server's own network
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://user:pw@push.example.net/x",
        "file:///etc/passwd",
    ):
        assert await put(body(endpoint)) == (422, "invalid_endpoint"), endpoint
    assert await put(body(keys={"p256dh": "bm90IGEga2V5", "auth": "c2VjcmV0"})) == (
        422,
        "invalid_push_keys",
    )
    assert await put(body(alerts=["message", "telepathy"])) == (422, "invalid_alert")
    assert await put(body(policy="everyone")) == (422, "invalid_policy")
    assert await put(body()) == (200, "")


async def test_one_subscription_per_session_replaced_when_subscribing_again(
    people: Personas,
) -> None:
    me = await people.register("alice")
    other = await people.login("alice", device="laptop")
    c = people.client
    url = "/api/quanzi/v1/push/subscription"
    assert (await c.get(url, headers=me.auth)).status_code == 404
    first = (await c.put(url, json=body(), headers=me.auth)).json()
    second = await c.put(url, json=body("https://push.example.net/send/new"), headers=me.auth)
    assert second.json()["endpoint"] == "https://push.example.net/send/new"
    assert second.json()["id"] != first["id"]
    assert (await c.get(url, headers=me.auth)).json()["id"] == second.json()["id"]
    # Another device of the same person has its own (none yet).
    assert (await c.get(url, headers=other.auth)).status_code == 404
    r = await c.patch(url, json={"previews": True, "policy": "followed"}, headers=me.auth)
    assert (r.json()["previews"], r.json()["policy"]) == (True, "followed")
    assert (await c.delete(url, headers=me.auth)).status_code == 204
    assert (await c.get(url, headers=me.auth)).status_code == 404
    assert (await c.patch(url, json={"previews": True}, headers=me.auth)).status_code == 404


def test_a_name_that_resolves_inside_the_network_is_not_called() -> None:
    assert not webpush.public_address("https://localhost/push")
    assert not webpush.public_address("https://no-such-host.invalid/push")


def test_the_server_key_is_the_same_in_every_process_and_changes_with_the_secret() -> None:
    one = webpush.ServerKey(b"s" * 32, "mailto:ops@example.net")
    assert one.public == webpush.ServerKey(b"s" * 32, "mailto:ops@example.net").public
    assert one.public != webpush.ServerKey(b"t" * 32, "mailto:ops@example.net").public
    assert len(webpush.b64url_decode(one.public)) == 65  # an uncompressed P-256 point
