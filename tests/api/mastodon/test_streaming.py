"""Mastodon's streaming API against a real `quanzi serve` process on loopback (SQLite, and
PostgreSQL + Redis): server-sent events read by the real Mastodon.py client and byte by byte,
and the multiplexed WebSocket read with the `websockets` client.

The cast: alice posts; bob follows her; carol follows no one (the stranger who must see only
what is public). "Nothing arrived" is checked with a sentinel: a later event that may be
delivered, which must come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from mastodon import Mastodon, StreamListener
from quanzi.config import Settings
from tests.helpers import PASSWORD, ServerProcess, free_port, settings_env

pytestmark = pytest.mark.slow

SCOPES = ["read", "write", "follow"]
WAIT = 10.0  # seconds an expected event may take


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """A server process whose public address (and so its streaming address) is where the
    clients reach it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = ServerProcess(_env(settings) | {"QUANZI_PUBLIC_URL": base}, port)
    try:
        await process.ready()
        yield base
    finally:
        process.stop()


def _env(settings: Settings) -> dict[str, str]:
    return settings_env(settings) | {"QUANZI_RATE_MASTODON_ACCOUNT": "100000/5 minutes"}


@dataclass
class Person:
    handle: str
    id: str
    token: str
    api: Mastodon


def person(base: str, handle: str, scopes: list[str] = SCOPES) -> Person:
    """Registered on the native API, then logged in as a Mastodon app does (password grant)."""
    r = httpx.post(
        f"{base}/api/quanzi/v1/accounts",
        json={"handle": handle, "password": PASSWORD, "display_name": handle.title()},
    )
    assert r.status_code == 201, r.text
    return mastodon_login(base, handle, scopes)


def mastodon_login(base: str, handle: str, scopes: list[str] = SCOPES) -> Person:
    client_id, secret = Mastodon.create_app("streaming tests", scopes=scopes, api_base_url=base)
    api = Mastodon(
        client_id=client_id, client_secret=secret, api_base_url=base, version_check_mode="none"
    )
    token = api.log_in(handle, PASSWORD, scopes=scopes, allow_http=True)
    return Person(handle, str(api.account_verify_credentials().id), token, api)


@pytest.fixture
def cast(server: str) -> tuple[Person, Person, Person]:
    alice, bob, carol = (person(server, h) for h in ("alice", "bob", "carol"))
    bob.api.account_follow(alice.id)
    return alice, bob, carol


def word() -> str:
    return f"w{uuid.uuid4().hex[:10]}"


# Mastodon.py's listener, collecting what arrives


class Collector(StreamListener):
    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_update(self, status: Any) -> None:
        self.events.put(("update", status))

    def on_status_update(self, status: Any) -> None:
        self.events.put(("status.update", status))

    def on_delete(self, status_id: Any) -> None:
        self.events.put(("delete", status_id))

    def on_notification(self, notification: Any) -> None:
        self.events.put(("notification", notification))

    async def next(self) -> tuple[str, Any]:
        return await asyncio.to_thread(self.events.get, timeout=WAIT)


@contextlib.contextmanager
def streaming(handle: Any) -> Iterator[Any]:
    """A Mastodon.py stream handle, closed when the block ends. Closing waits in the client
    until the next bytes come (a heartbeat, up to 15 s later), so it is left to a thread: the
    handle is marked closed at once and its reader ends with the connection. The handle
    connects in its own thread: the block starts once the server has answered (it registers a
    stream before answering), so that nothing posted in the block can come before it."""
    deadline = time.monotonic() + WAIT
    while handle.connection is None and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield handle
    finally:
        threading.Thread(target=handle.close, daemon=True).start()


# The raw protocols


class EventStream:
    """A server-sent event stream read as bytes, to check the format itself."""

    def __init__(self, response: httpx.Response) -> None:
        self.chunks = response.aiter_text()
        self.buffer = ""

    async def read_until(self, end: str) -> str:
        async with asyncio.timeout(WAIT):
            while end not in self.buffer:
                self.buffer += await anext(self.chunks)
        text, _, self.buffer = self.buffer.partition(end)
        return text + end

    async def event(self) -> tuple[str, str]:
        """The next event's name and data (skipping comments)."""
        while True:
            block = await self.read_until("\n\n")
            lines = [line for line in block.split("\n") if line and not line.startswith(":")]
            if lines:
                fields = dict(line.split(": ", 1) for line in lines)
                return fields["event"], fields["data"]


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + "/api/v1/streaming" + (f"?{query}" if query else "")


async def message(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WAIT)))


async def request(ws: ClientConnection, **fields: Any) -> None:
    """Send a (un)subscription and wait until the server has handled it: messages are handled
    in order, and a request for an unknown stream is answered with an error."""
    await ws.send(json.dumps(fields))
    await ws.send(json.dumps({"type": "subscribe", "stream": "no-such-stream"}))
    assert await message(ws) == {"error": "Unknown stream type", "status": 400}


def entity_of(msg: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(msg["payload"], str)  # a string holding JSON, as Mastodon sends it
    return dict(json.loads(msg["payload"]))


# Server-sent events


async def get(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        return await client.get(url, headers=headers)


async def test_health_says_ok(server: str) -> None:
    r = await get(f"{server}/api/v1/streaming/health")
    assert (r.status_code, r.text) == (200, "OK")
    assert Mastodon(api_base_url=server, version_check_mode="none").stream_healthy()


async def test_event_stream_format_is_mastodons(cast: tuple[Person, Person, Person]) -> None:
    alice, _, _ = cast
    base = alice.api.api_base_url
    async with (
        httpx.AsyncClient(timeout=WAIT) as client,
        client.stream("GET", f"{base}/api/v1/streaming/public") as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in r.headers
        stream = EventStream(r)
        assert await stream.read_until("\n") == ":)\n"
        posted = alice.api.status_post(f"format {word()}")
        raw = await stream.read_until("\n\n")
    assert "\r" not in raw
    assert raw.startswith("event: update\ndata: {")
    assert raw.endswith("}\n\n") and raw.count("\n") == 3
    status = json.loads(raw.split("data: ", 1)[1])
    assert status["id"] == str(posted.id)
    assert status["account"]["acct"] == "alice"


async def test_user_stream_brings_followed_posts_and_notifications(
    cast: tuple[Person, Person, Person],
) -> None:
    """Mastodon.py: bob's home stream gets alice's new post; alice's notification stream tells
    her bob liked it."""
    alice, bob, _ = cast
    home, mine = Collector(), Collector()
    with (
        streaming(bob.api.stream_user(home, run_async=True)),
        streaming(alice.api.stream_user_notifications(mine, run_async=True)),
    ):
        text = f"for my followers {word()}"
        posted = alice.api.status_post(text)
        event, status = await home.next()
        assert event == "update"
        assert (status.id, status.account.acct) == (posted.id, "alice")
        assert text in status.content
        bob.api.status_favourite(posted.id)
        event, notification = await mine.next()
    assert event == "notification"
    assert notification.type == "favourite"
    assert notification.account.acct == "bob"
    assert notification.status.id == posted.id


async def test_public_and_hashtag_streams_need_no_account(
    cast: tuple[Person, Person, Person],
) -> None:
    """Mastodon.py, anonymous: the public stream gets every public post, the hashtag stream
    only those with the tag (in either spelling: #tag or #话题#)."""
    alice, _, _ = cast
    anonymous = Mastodon(api_base_url=alice.api.api_base_url, version_check_mode="none")
    tag = word()
    everything, tagged, chinese = Collector(), Collector(), Collector()
    with (
        streaming(anonymous.stream_public(everything, run_async=True)),
        streaming(anonymous.stream_hashtag(tag.upper(), tagged, run_async=True)),
        streaming(anonymous.stream_hashtag("流式话题", chinese, run_async=True)),
    ):
        untagged = alice.api.status_post(f"no tag here {word()}")
        with_tag = alice.api.status_post(f"now with #{tag} and #流式话题#")
        assert [(await everything.next())[1].id for _ in range(2)] == [untagged.id, with_tag.id]
        for stream in (tagged, chinese):
            event, status = await stream.next()
            assert (event, status.id) == ("update", with_tag.id)
        alice.api.status_delete(with_tag.id)
        assert await tagged.next() == ("delete", with_tag.id)


async def test_stream_refuses_a_bad_token_and_personal_streams_need_one(server: str) -> None:
    for path, headers in [
        ("/api/v1/streaming/public", {"Authorization": "Bearer not-a-token"}),
        ("/api/v1/streaming/user", {}),
        ("/api/v1/streaming/user/notification", {}),
    ]:
        r = await get(f"{server}{path}", headers)
        assert r.status_code == 401, path
        assert "error" in r.json()
    r = await get(f"{server}/api/v1/streaming/hashtag")
    assert r.status_code == 400
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(server, "access_token=not-a-token")):
            pass
    assert refused.value.response.status_code == 401


async def test_notification_stream_needs_the_notifications_scope(server: str) -> None:
    reader = person(server, "reader", ["read:statuses", "read:accounts"])
    r = await get(
        f"{server}/api/v1/streaming/user/notification",
        {"Authorization": f"Bearer {reader.token}"},
    )
    assert r.status_code == 403
    async with connect(ws_url(server, f"access_token={reader.token}")) as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "user:notification"}))
        refused = await message(ws)
        assert refused["status"] == 403


def scoped_token(base: str, handle: str, scope: str) -> str:
    """A token given to an app through OAuth (password grant) with only `scope`."""
    app = httpx.post(
        f"{base}/api/v1/apps",
        data={
            "client_name": "scoped",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": scope,
        },
    ).json()
    r = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": handle,
            "password": PASSWORD,
            "scope": scope,
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


# Which scope each stream needs, as Mastodon asks: user -> read:statuses, user:notification ->
# read:notifications, public and hashtag -> none.
STREAM_PATHS = {
    "user": "/api/v1/streaming/user",
    "user:notification": "/api/v1/streaming/user/notification",
    "public": "/api/v1/streaming/public",
    "hashtag": "/api/v1/streaming/hashtag?tag=scoped",
}
MAY_READ = {
    "profile": {"public", "hashtag"},
    "write": {"public", "hashtag"},
    "read:notifications": {"user:notification", "public", "hashtag"},
    "read:statuses": {"user", "public", "hashtag"},
    "read": set(STREAM_PATHS),
}


async def test_each_stream_needs_the_scope_mastodon_asks_for(server: str) -> None:
    person(server, "scoped")
    for scope, allowed in MAY_READ.items():
        token = scoped_token(server, "scoped", scope)
        async with httpx.AsyncClient(timeout=WAIT) as client:
            for name, path in STREAM_PATHS.items():
                headers = {"Authorization": f"Bearer {token}"}
                async with client.stream("GET", f"{server}{path}", headers=headers) as r:
                    expected = 200 if name in allowed else 403
                    assert r.status_code == expected, (scope, name)
                    if expected == 403:
                        await r.aread()
                        assert r.json() == {"error": "This action is outside the authorized scopes"}
        async with connect(ws_url(server, f"access_token={token}")) as ws:
            for name in STREAM_PATHS:
                await ws.send(json.dumps({"type": "subscribe", "stream": name, "tag": "scoped"}))
                await ws.send(json.dumps({"type": "subscribe", "stream": "no-such-stream"}))
                answer = await message(ws)
                if name in allowed:
                    assert answer["error"] == "Unknown stream type", (scope, name)
                else:
                    assert answer["status"] == 403, (scope, name)
                    assert (await message(ws))["error"] == "Unknown stream type"


async def test_user_stream_leaves_out_notifications_without_their_scope(
    cast: tuple[Person, Person, Person],
) -> None:
    """Mastodon sends notifications on the user stream only to a token that may read them:
    bob's statuses-only app hears of his own new post, not of alice liking the one before."""
    alice, bob, _ = cast
    base = alice.api.api_base_url
    token = scoped_token(base, "bob", "read:statuses")
    liked = bob.api.status_post(f"like me {word()}")
    async with connect(ws_url(base, f"access_token={token}&stream=user")) as ws:
        await request(ws, type="subscribe", stream="user")
        alice.api.status_favourite(liked.id)
        sentinel = bob.api.status_post(f"after the like {word()}")
        got = await message(ws)
    assert (got["event"], entity_of(got)["id"]) == ("update", str(sentinel.id))


async def test_public_stream_read_with_a_token_that_may_not_read_statuses_shows_no_own_state(
    cast: tuple[Person, Person, Person],
) -> None:
    """A `profile` token reads the public stream as anyone does: what the person liked is
    not told to an app that was not allowed to read it."""
    alice, bob, _ = cast
    base = alice.api.api_base_url
    token = scoped_token(base, "bob", "profile")
    posted = alice.api.status_post(f"public {word()}")
    bob.api.status_favourite(posted.id)
    async with connect(ws_url(base, f"access_token={token}&stream=public")) as ws:
        await request(ws, type="subscribe", stream="public")
        alice.api.status_update(posted.id, f"edited {word()}")
        got = await message(ws)
    assert got["event"] == "status.update"
    assert entity_of(got)["id"] == str(posted.id)
    assert not entity_of(got).get("favourited")


# WebSocket


async def test_websocket_subscribe_unsubscribe_and_delete(
    cast: tuple[Person, Person, Person],
) -> None:
    alice, _, carol = cast
    base = alice.api.api_base_url
    tag = word()
    async with connect(ws_url(base, f"access_token={carol.token}")) as ws:
        await request(ws, type="subscribe", stream="public")
        posted = alice.api.status_post(f"hello {word()}")
        got = await message(ws)
        assert (got["stream"], got["event"]) == (["public"], "update")
        assert entity_of(got)["id"] == str(posted.id)
        alice.api.status_delete(posted.id)
        assert await message(ws) == {
            "stream": ["public"],
            "event": "delete",
            "payload": str(posted.id),
        }
        await request(ws, type="unsubscribe", stream="public")
        await request(ws, type="subscribe", stream="hashtag", tag=tag)
        alice.api.status_post(f"untagged, and no longer for this socket {word()}")
        tagged = alice.api.status_post(f"#{tag}")
        got = await message(ws)
    assert got["stream"] == ["hashtag", tag]
    assert entity_of(got)["id"] == str(tagged.id)


async def test_websocket_takes_the_token_as_subprotocol_and_the_stream_in_the_query(
    cast: tuple[Person, Person, Person],
) -> None:
    """As Mastodon's web client connects: the token as the subprotocol, which the server
    answers with; `stream=user` subscribes at once."""
    alice, bob, _ = cast
    base = alice.api.api_base_url
    async with connect(ws_url(base, "stream=user"), subprotocols=[bob.token]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == bob.token
        posted = alice.api.status_post(f"to bob's home {word()}")
        got = await message(ws)
    assert (got["stream"], got["event"]) == (["user"], "update")
    assert entity_of(got)["id"] == str(posted.id)


async def test_followers_only_post_reaches_followers_only(
    cast: tuple[Person, Person, Person],
) -> None:
    """A followers-only post, its edit and its delete reach bob (a follower); neither carol's
    home stream nor the public stream hear of it."""
    alice, bob, carol = cast
    base = alice.api.api_base_url
    async with (
        connect(ws_url(base, f"access_token={bob.token}&stream=user")) as follower,
        connect(ws_url(base, f"access_token={carol.token}&stream=user")) as stranger,
        connect(ws_url(base, "stream=public")) as square,
    ):
        secret = alice.api.status_post(f"only followers {word()}", visibility="private")
        got = await message(follower)
        assert got["event"] == "update"
        assert entity_of(got)["id"] == str(secret.id)
        assert entity_of(got)["visibility"] == "private"
        alice.api.status_update(secret.id, f"edited, still for followers {word()}")
        got = await message(follower)
        assert got["event"] == "status.update"
        assert "edited" in entity_of(got)["content"]
        alice.api.status_delete(secret.id)
        assert (await message(follower))["payload"] == str(secret.id)

        shown = alice.api.status_post(f"for everyone {word()}")
        own = carol.api.status_post(f"carol's own {word()}")
        assert entity_of(await message(square))["id"] == str(shown.id)
        assert entity_of(await message(stranger))["id"] == str(own.id)


async def test_mentioned_only_post_reaches_only_who_is_mentioned(
    cast: tuple[Person, Person, Person],
) -> None:
    alice, bob, carol = cast
    base = alice.api.api_base_url
    async with (
        connect(ws_url(base, f"access_token={bob.token}&stream=user")) as follower,
        connect(ws_url(base, f"access_token={carol.token}&stream=user")) as mentioned,
    ):
        direct = alice.api.status_post(f"@carol just you {word()}", visibility="direct")
        told = await message(mentioned)
        assert (told["event"], entity_of(told)["type"]) == ("notification", "mention")
        got = await message(mentioned)
        assert (got["event"], entity_of(got)["id"]) == ("update", str(direct.id))
        assert entity_of(told)["status"]["id"] == str(direct.id)
        sentinel = alice.api.status_post(f"for followers again {word()}", visibility="private")
        assert entity_of(await message(follower))["id"] == str(sentinel.id)


async def test_revoked_token_ends_its_streams(cast: tuple[Person, Person, Person]) -> None:
    _, bob, _ = cast
    base = bob.api.api_base_url
    async with connect(ws_url(base, f"access_token={bob.token}&stream=user")) as ws:
        await request(ws, type="subscribe", stream="public")
        bob.api.revoke_access_token()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


async def test_post_on_one_process_reaches_a_stream_on_another(settings: Settings) -> None:
    """Two processes share the database and Redis: each serves its own subscribers."""
    redis_url = settings.redis_url or os.environ.get("QUANZI_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set QUANZI_TEST_REDIS_URL: processes share events through Redis")
    env = _env(settings) | {"QUANZI_REDIS_URL": redis_url}
    a, b = ServerProcess(env), ServerProcess(env)
    try:
        await asyncio.gather(a.ready(), b.ready())
        alice, bob = person(a.base, "alice"), person(a.base, "bob")
        bob.api.account_follow(alice.id)
        async with (
            connect(ws_url(b.base, f"access_token={bob.token}&stream=user")) as home,
            connect(ws_url(b.base, "stream=public")) as square,
        ):
            secret = alice.api.status_post(f"followers, elsewhere {word()}", visibility="private")
            shown = alice.api.status_post(f"public, elsewhere {word()}")
            assert [entity_of(await message(home))["id"] for _ in range(2)] == [
                str(secret.id),
                str(shown.id),
            ]
            assert entity_of(await message(square))["id"] == str(shown.id)
    finally:
        a.stop()
        b.stop()


async def test_a_stopping_server_ends_its_event_streams_at_once(settings: Settings) -> None:
    """Every Mastodon app keeps the user stream open. A server told to stop waits for open
    responses to end (up to QUANZI_SHUTDOWN_GRACE_SECONDS, 30 here); it ends the streams
    itself, so a restart does not wait for them."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(settings) | {"QUANZI_PUBLIC_URL": base, "QUANZI_SHUTDOWN_GRACE_SECONDS": "30"}
    process = ServerProcess(env, port)
    try:
        await process.ready()
        alice = person(base, "alice")
        headers = {"Authorization": f"Bearer {alice.token}"}
        async with (
            httpx.AsyncClient(timeout=WAIT) as client,
            client.stream("GET", f"{base}/api/v1/streaming/user", headers=headers) as r,
            client.stream("GET", f"{base}/api/v1/streaming/public") as square,
        ):
            assert r.status_code == square.status_code == 200
            user_stream, public_stream = EventStream(r), EventStream(square)
            await user_stream.read_until("\n")
            await public_stream.read_until("\n")
            started = time.monotonic()
            process.signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT):  # each stream ends as a response does
                async for _ in user_stream.chunks:
                    pass
                async for _ in public_stream.chunks:
                    pass
            assert await process.wait(timeout=WAIT) in (0, -signal.SIGTERM)
            assert time.monotonic() - started < 5, process.output()
    finally:
        process.stop()
