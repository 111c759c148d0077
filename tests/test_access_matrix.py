"""The access matrix: every route that takes an id, in every door, called as every persona and
with every kind of token, against the policy in tests/access_policy.py (issue 13).

- The routes come from the doors themselves (tests/access_routes.py): the native OpenAPI
  document (/api/openapi.json), the Mastodon door's route table (it publishes no OpenAPI
  document: its endpoints read their parameters the way Mastodon clients send them, so the ids
  in their bodies are named by hand there) and the web client's. A route that the policy does
  not name fails `test_every_route_is_in_the_policy`; a policy line whose route is gone fails
  `test_every_policy_line_names_a_route`. Routes without an id are named in
  `access_policy.NO_ID` and checked for the token kinds and scopes they take.
- One world per backend (SQLite; PostgreSQL + Redis when configured), built once through the
  API (tests/access_world.py). Refused calls run first, then allowed ones, then the ones that
  destroy their object (each on a new object).
- Every cell must pass: a fault the matrix finds is fixed, never marked as expected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.domain.accounts.sessions import scope_granted
from tests import access_calls as calls
from tests import access_policy as policy
from tests import access_routes as routes
from tests.access_policy import MASTODON, NATIVE, PERSONAS, Line
from tests.access_world import NATIVE as NATIVE_PREFIX
from tests.access_world import SCOPES, Owner, Target, World
from tests.conftest import BACKENDS, fresh_database, make_settings, serve_in_loop

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINES: list[Line] = [
    *policy.parse("native", NATIVE, prefix=NATIVE_PREFIX),
    *policy.parse("native", policy.MEDIA_FILES, prefix=""),
    *policy.parse("mastodon", MASTODON, scoped=True),
    *policy.parse("web", policy.WEB),
]
REFUSED = frozenset({"miss", "401", "kind", "scope", "app", "no", "left", "login"})


# The world, once per backend


@pytest.fixture(scope="module", params=BACKENDS)
def matrix_settings(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_template: str | None,
) -> Iterator[Settings]:
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"matrix-{backend}")
    with fresh_database(backend, tmp, sqlite_template, postgres_template) as url:
        yield make_settings(
            url,
            tmp,
            backend,
            # the matrix makes thousands of calls as a few people
            rate_mastodon_account="1000000/5 minutes",
            rate_friend_request="1000000/day",
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(matrix_settings: Settings) -> AsyncIterator[World]:
    app = create_app(matrix_settings)
    async with app.router.lifespan_context(app), serve_in_loop(app) as live:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            made = World(c, app.state.services, live)
            await made.build()
            yield made


# The cells


def _granted(scope: str, wanted: str) -> bool:
    return scope_granted(wanted, frozenset({scope}))


def expected(line: Line, column: str) -> str:
    """What a column should get on a line (the policy's cell, or what the door's token rule
    makes of it)."""
    if column in line.cells:
        return line.cells[column]
    if "tokenless" in line.flags:
        return line.cells["anon"]
    if line.door == "native":
        return "kind"  # an OAuth token (bearer or cookie) is not the native door's
    if line.door == "web":
        return line.cells["anon"]  # a token given to an app is no session: as without one
    assert line.scope is not None
    optional = line.scope.startswith("?")
    wanted = line.scope.removeprefix("?")
    if column == "app":
        return line.cells["anon"] if optional else "app"
    scope = column.removeprefix("oauth:")
    return line.cells["owner"] if _granted(scope, wanted) else "scope"


def columns(line: Line) -> list[str]:
    if line.door == "native":
        # the OAuth tokens as bearers together, and one as the session cookie
        return [*PERSONAS, "anon", "oauth", "oauth-cookie"]
    if line.door == "web":
        return [*PERSONAS, "anon", "oauth:read"]
    return [*PERSONAS, "anon", "oauth"]  # the OAuth tokens (and the app's own) together


def _phase(line: Line, column: str) -> int:
    symbols = {expected(line, sub) for sub in _sub_columns(line, column)}
    if symbols <= REFUSED:
        return 0
    return 2 if line.flags & {"fresh", "fresh-owner"} else 1


def _cells() -> list[Any]:
    cells = [(line, column) for line in LINES for column in columns(line)]
    cells.sort(key=lambda cell: _phase(*cell))
    out = []
    for line, column in cells:
        door = {"native": "n", "mastodon": "m", "web": "w"}[line.door]
        out.append(pytest.param(line, column, id=f"{door}:{line.name}:{column}"))
    return out


async def _owner_of(world: World, line: Line) -> Owner:
    if "fresh-owner" in line.flags:
        return await world.fresh_owner(line.name)
    assert world.owner is not None
    return world.owner


def _sub_columns(line: Line, column: str) -> list[str]:
    """The columns a test calls: one, or the OAuth tokens together (refused ones first)."""
    if column != "oauth":
        return [column]
    subs = [f"oauth:{s}" for s in SCOPES] + (["app"] if line.door == "mastodon" else [])
    return sorted(subs, key=lambda sub: expected(line, sub) not in REFUSED)


@pytest.mark.parametrize(("line", "column"), _cells())
async def test_route_answers_each_caller_as_the_policy_says(
    world: World, line: Line, column: str
) -> None:
    owner = await _owner_of(world, line)
    fresh_owner = owner if "fresh-owner" in line.flags else None
    base = await world.target_of(line.name, line.object, fresh_owner)
    shared: Target | None = None
    failures = []
    for sub in _sub_columns(line, column):
        if sub.startswith("oauth:"):
            await world.fresh_oauth(owner, sub.removeprefix("oauth:"))
        symbol = expected(line, sub)
        target = base
        if "fresh" in line.flags:
            # Calls on objects of their own: an allowed call destroys its object, and so would
            # a call that should be refused but is not.
            if symbol in REFUSED:
                shared = shared or await world.fresh(line.object, owner)
                target = shared
            else:
                target = await world.fresh(line.object, owner)
        try:
            await _cell(world, line, sub, symbol, target, owner)
        except AssertionError as failed:
            failures.append(f"{sub}: {failed}")
    assert not failures, "\n".join(failures)


async def _cell(
    world: World, line: Line, column: str, symbol: str, target: Target, owner: Owner
) -> None:
    missing = None
    if symbol in ("miss", "past", "left"):
        missing = await calls.call(world, line, target.missing_values(), column, owner, cache=True)
    r = await calls.call(world, line, target.values, column, owner)
    if symbol in ("ok", "past") and r.status_code == 404 and missing is None:
        missing = await calls.call(world, line, target.missing_values(), column, owner, cache=True)
    calls.check(symbol, r, missing, target, web=line.door == "web")


# Every route is named


async def test_every_route_is_in_the_policy(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    unnamed = routes.unnamed(LINES, routes.doors(document))
    assert not unnamed, (
        "routes the access policy (tests/access_policy.py) does not name; say who may call "
        f"them: {unnamed}"
    )


async def test_a_route_the_policy_does_not_name_is_caught(world: World) -> None:
    """The check above is not vacuous: a new route with an id, in any door, or an id added to
    a route listed as taking none, is reported."""
    document = (await world.call("GET", "/api/openapi.json")).json()
    doors = routes.doors(document)
    doors["native"][("POST", "/api/quanzi/v1/things/{thing_id}")] = True
    doors["mastodon"][("GET", "/api/v1/things")] = False
    doors["web"][("GET", "/things/{thing_id}")] = True
    doors["native"][("GET", "/api/quanzi/v1/accounts/me")] = True
    assert routes.unnamed(LINES, doors) == [
        "native POST /api/quanzi/v1/things/{thing_id}",
        "mastodon GET /api/v1/things",
        "web GET /things/{thing_id}",
        "native GET /api/quanzi/v1/accounts/me takes an id: give it lines of its own",
    ]


async def test_every_policy_line_names_a_route(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    gone = routes.gone(LINES, routes.doors(document))
    assert not gone, f"policy lines whose route is gone: {gone}"


async def test_a_policy_line_whose_route_is_gone_is_caught(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    doors = routes.doors(document)
    del doors["mastodon"][("GET", "/api/v1/statuses/{status_id}")]
    assert routes.gone(LINES, doors) == ["mastodon GET /api/v1/statuses/{status_id}"]


def _no_id_cells() -> list[Any]:
    out = []
    for door, method, path, auth in policy.NO_ID:
        if auth in ("-", "stream"):
            continue
        out.append(pytest.param(door, method, path, auth, id=f"{door}:{method} {path}"))
    return out


@pytest.mark.parametrize(("door", "method", "path", "auth"), _no_id_cells())
async def test_token_kinds_on_routes_without_ids(
    world: World, door: str, method: str, path: str, auth: str
) -> None:
    """Routes that name no object: anonymous callers get 401 where a person is needed; an
    OAuth token is refused by the native door and held to its scopes by the Mastodon door
    (only the refusals are called here: an allowed call would act)."""
    assert world.owner is not None
    if door == "web":
        await _web_page_without_a_session(world, method, path)
        return
    optional = auth.startswith("?")
    anon = await world.call(method, path)
    if not optional:
        assert anon.status_code == 401, anon.text
    for scope in SCOPES:
        token = world.owner.oauth[scope]
        if door == "native":
            r = await world.call(method, path, token=token)
            assert r.status_code == 403 and calls.error_code(r) == "oauth_token", (scope, r.text)
        elif not _granted(scope, auth.removeprefix("?")):
            r = await world.call(method, path, token=token)
            assert r.status_code == 403, (scope, r.text)
            assert r.json() == {"error": "This action is outside the authorized scopes"}


async def _web_page_without_a_session(world: World, method: str, path: str) -> None:
    """A web form that names no object (as the web lines, with the page's CSRF token): nobody's
    session, or an OAuth token given to an app as the cookie, is sent to log in."""
    assert world.owner is not None
    csrf = "c" * 43
    for cookie in (None, *world.owner.oauth.values()):
        sent = f"quanzi_csrf={csrf}" + (f"; quanzi_session={cookie}" if cookie else "")
        r = await world.call(
            method,
            path,
            headers={"Cookie": sent, "X-CSRF-Token": csrf},
            data={"file": "x"},
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), r.text


# Streams


def _ws(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


STREAM_COLUMNS = ["owner", "anon", *(f"oauth:{s}" for s in SCOPES), "oauth-cookie"]


@pytest.mark.parametrize("column", STREAM_COLUMNS)
async def test_native_stream_takes_sessions_only(world: World, column: str) -> None:
    """The native WebSocket: a session gets `hello`; no token 401; a token given to an app
    through OAuth is refused as on the native REST API (403 oauth_token)."""
    assert world.owner is not None
    headers: dict[str, str] = {}
    if column == "owner":
        headers["Authorization"] = f"Bearer {world.owner.user.token}"
    elif column == "oauth-cookie":
        headers["Cookie"] = f"quanzi_session={world.owner.oauth['read']}"
        headers["Origin"] = world.live
    elif column != "anon":
        headers["Authorization"] = f"Bearer {world.owner.oauth[column.removeprefix('oauth:')]}"
    url = _ws(world.live, f"{NATIVE_PREFIX}/stream")
    if column == "owner":
        async with connect(url, additional_headers=headers) as ws:
            assert orjson.loads(await ws.recv())["type"] == "hello"
        return
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers=headers):
            pass
    status = refused.value.response.status_code
    assert status == (401 if column == "anon" else 403), status


@pytest.mark.parametrize(
    ("conversation", "column"),
    [(c, p) for c in ("group", "direct") for p in PERSONAS],
    ids=[f"{c}:{p}" for c in ("group", "direct") for p in PERSONAS],
)
async def test_native_stream_sends_only_into_ones_chats(
    world: World, conversation: str, column: str
) -> None:
    """`message.send` on the stream names a conversation: the same rules as the REST send
    (members send; the removed member is told; anyone else gets what a missing conversation
    gets)."""
    line = next(
        line
        for line in LINES
        if line.route == ("POST", f"{NATIVE_PREFIX}/conversations/{{conversation_id}}/messages")
        and line.object == conversation
    )
    symbol = line.cells[column]
    user = world.people[column]
    target = world.targets[conversation]

    async def send(conversation_id: str) -> dict[str, Any]:
        url = _ws(world.live, f"{NATIVE_PREFIX}/stream")
        async with connect(url, additional_headers=user.auth) as ws:
            assert orjson.loads(await ws.recv())["type"] == "hello"
            frame = {
                "type": "message.send",
                "conversation_id": conversation_id,
                "client_msg_id": f"stream-{column}",
                "text": "over the stream",
            }
            await ws.send(orjson.dumps(frame).decode())
            while True:
                got = orjson.loads(await ws.recv())
                if got["type"] in ("message.ack", "message.error"):
                    return dict(got)

    answer = await send(target.values["conversation_id"])
    if symbol == "ok":
        assert answer["type"] == "message.ack", answer
        return
    missing = await send(target.missing_values()["conversation_id"])
    if symbol == "left" and answer != missing:
        assert answer["type"] == "message.error", answer
        assert answer["payload"]["code"] == "not_a_member", answer
    else:
        assert answer == missing, (answer, missing)


# The scope each stream needs; "*": none, whatever token comes or none (Mastodon's public
# channels: a token without read:statuses reads them as anyone would).
SSE_STREAMS = {
    "/api/v1/streaming/user": "read:statuses",
    "/api/v1/streaming/user/notification": "read:notifications",
    "/api/v1/streaming/public": "*",
    "/api/v1/streaming/public/local": "*",
    "/api/v1/streaming/hashtag?tag=matrix": "*",
}
MASTODON_STREAM_COLUMNS = ["owner", "anon", *(f"oauth:{s}" for s in SCOPES), "app"]


def _stream_expected(scope: str, column: str) -> int:
    if column == "owner" or scope == "*":
        return 200
    if column in ("anon", "app"):
        return 401
    return 200 if _granted(column.removeprefix("oauth:"), scope) else 403


def _stream_token(world: World, column: str) -> str | None:
    assert world.owner is not None
    if column == "owner":
        return world.owner.user.token
    if column == "app":
        return world.app_token
    if column == "anon":
        return None
    return world.owner.oauth[column.removeprefix("oauth:")]


@pytest.mark.parametrize(
    ("path", "column"),
    [(p, c) for p in SSE_STREAMS for c in MASTODON_STREAM_COLUMNS],
    ids=[f"{p}:{c}" for p in SSE_STREAMS for c in MASTODON_STREAM_COLUMNS],
)
async def test_mastodon_event_streams_follow_scopes(world: World, path: str, column: str) -> None:
    token = _stream_token(world, column)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", world.live + path, headers=headers) as r,
    ):
        assert r.status_code == _stream_expected(SSE_STREAMS[path], column), r.status_code


WS_STREAMS = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    "public": "*",
    "hashtag": "*",
}


@pytest.mark.parametrize(
    ("stream", "column"),
    [(s, c) for s in WS_STREAMS for c in MASTODON_STREAM_COLUMNS],
    ids=[f"{s}:{c}" for s in WS_STREAMS for c in MASTODON_STREAM_COLUMNS],
)
async def test_mastodon_websocket_follows_scopes(world: World, stream: str, column: str) -> None:
    """A subscription the token's scopes allow is taken silently; one they do not is answered
    with an error (401 without a person, 403 outside the scopes). A second, unknown stream is
    asked for after it: its error comes first only if the first was taken."""
    token = _stream_token(world, column)
    url = _ws(world.live, "/api/v1/streaming") + (f"?access_token={token}" if token else "")
    want = _stream_expected(WS_STREAMS[stream], column)
    async with connect(url) as ws:
        await ws.send(
            orjson.dumps({"type": "subscribe", "stream": stream, "tag": "matrix"}).decode()
        )
        await ws.send(orjson.dumps({"type": "subscribe", "stream": "nothing"}).decode())
        first = orjson.loads(await ws.recv())
    if want == 200:
        assert first == {"error": "Unknown stream type", "status": 400}, first
    else:
        assert first.get("status") == want, first


# Media URLs as they are handed out

# Media and who is shown it (the one whose rendering gives the URL).
SHOWN_MEDIA = {
    "post_media": "stranger",
    "followers_media": "follower",
    "moment_media": "friend",
    "chat_media": "friend",
}


@pytest.mark.parametrize(
    ("media", "how"),
    [pytest.param(m, how, id=f"{m}:{how}") for m in SHOWN_MEDIA for how in ("plain", "app-token")],
)
async def test_media_url_works_for_whoever_was_given_it(world: World, media: str, how: str) -> None:
    """The URLs of an image, as rendered to someone who may see it, answer its bytes to a
    request with no credentials (a plain <img>) and to one with an app's token (a Mastodon
    app), as capabilities."""
    assert world.owner is not None
    viewer = world.people[SHOWN_MEDIA[media]]
    media_id = world.targets[media].values["media_id"]
    shown = await world.ok("GET", f"/media/{media_id}", viewer)
    token = world.owner.oauth["read"] if how == "app-token" else None
    for url in (shown["url"], shown["thumbnail_url"]):
        r = await world.call("GET", url.removeprefix("http://testserver"), token=token)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("image/"), url


async def test_media_url_of_a_deleted_post_answers_as_missing(world: World) -> None:
    """Revoked with what it is attached to: once the post is deleted, the URL its readers were
    given answers as a missing one does, to them and to anyone."""
    assert world.owner is not None
    owner, stranger = world.owner.user, world.people["stranger"]
    media_id = await world.upload(owner)
    post = await world.ok(
        "POST", "/posts", owner, json={"text": "soon gone", "media_ids": [media_id]}
    )
    shown = (await world.ok("GET", f"/posts/{post['id']}", stranger))["media"][0]
    await world.ok("DELETE", f"/posts/{post['id']}", owner)
    for url in (shown["url"], shown["thumbnail_url"]):
        path = url.removeprefix("http://testserver")
        missing_path = path.replace(media_id, "9007199254740001")
        for token in (None, stranger.token):
            r = await world.call("GET", path, token=token)
            missing = await world.call("GET", missing_path, token=token)
            assert (r.status_code, r.content) == (missing.status_code, missing.content), url
