"""The access matrix: every route that takes an id, in every door, called as every persona and
with every kind of token, against the policy in tests/access_policy.py (issue 13).

- The routes come from the doors themselves: the native OpenAPI document
  (/api/openapi.json) and the Mastodon door's route table (it publishes no OpenAPI document:
  its endpoints read their parameters the way Mastodon clients send them, so the ids in their
  bodies are named by hand in `MASTODON_BODY_IDS`). A route that takes an id and that the
  policy does not name fails `test_every_route_is_in_the_policy`; a policy line whose route is
  gone fails `test_every_policy_line_names_a_route`. Routes without an id are named in
  `access_policy.NO_ID` and checked for the token kinds and scopes they take.
- One world per backend (SQLite; PostgreSQL + Redis when configured), built once through the
  API (tests/access_world.py). Refused calls run first, then allowed ones, then the ones that
  destroy their object (each on a new object).
- Cells that fail on today's code because of a fault that issue 13 names are in `KNOWN`, each
  marked `xfail(strict=True)` with its item: when the fault is fixed the mark must go.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from quanzi.api import mastodon
from quanzi.app import create_app
from quanzi.config import Settings
from quanzi.web import routers as web_routers
from tests import access_policy as policy
from tests.access_policy import MASTODON, NATIVE, PERSONAS, Line
from tests.access_world import NATIVE as NATIVE_PREFIX
from tests.access_world import SCOPES, Owner, Target, World
from tests.conftest import BACKENDS, fresh_database, make_settings, serve_in_loop

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINES: list[Line] = [
    *policy.parse("native", NATIVE, prefix=NATIVE_PREFIX),
    *[
        policy.Line("native", "GET", path, line.object, line.cells, flags=line.flags)
        for path in policy.MEDIA_FILES
        for line in policy.parse("native", NATIVE, prefix="")
        if line.route == ("GET", "/media/{media_id}")
    ],
    *policy.parse("mastodon", MASTODON, scoped=True),
    *policy.parse("web", policy.WEB),
]
REFUSED = frozenset({"miss", "401", "kind", "scope", "app", "no", "left", "login"})
ID_FIELD = re.compile(r"(^|_)ids?$")  # in a body or a query: account_id, media_ids, ids
ID_QUERY = re.compile(r"(^|_)ids?$|^number$|^handle$")  # a query may name an account so too
CURSORS = frozenset({"max_id", "since_id", "min_id", "changed_since", "up_to_id"})
# The Mastodon door reads its parameters itself (as Mastodon clients send them, form or JSON):
# the ids its bodies and queries take are named here.
MASTODON_BODY_IDS = {
    ("POST", "/api/v1/statuses"): ("in_reply_to_id", "media_ids"),
    ("GET", "/api/v1/accounts/relationships"): ("id",),
    ("GET", "/api/v1/accounts/lookup"): ("acct",),
}


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


# Calls


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def _request_of(line: Line) -> dict[str, Any]:
    if line.door == "web":
        return policy.WEB_REQUESTS.get(line.route, {})
    bare = line.path.removeprefix(NATIVE_PREFIX)
    for key in ((line.method, bare, line.object), (line.method, bare)):
        if key in policy.REQUESTS:
            return policy.REQUESTS[key]
    return {}


async def _call(
    world: World,
    line: Line,
    values: dict[str, str],
    column: str,
    owner: Owner,
    *,
    cache: bool = False,
) -> httpx.Response:
    """Call a line's route on `values` as `column`. With `cache`, the call is one on a missing
    id, whose answer never changes: made once per caller and request."""
    values = {**world.extras, **values}
    path = _fill(line.path, values)
    spec = _fill(_request_of(line), values)
    token, cookie = _credentials(world, line, column, owner)
    headers = {}
    if line.door == "web":  # a browser on one of our pages: its CSRF cookie and token
        csrf = "c" * 43
        headers["Cookie"] = f"quanzi_csrf={csrf}" + (f"; quanzi_session={cookie}" if cookie else "")
        headers["X-CSRF-Token"] = csrf
        cookie = None
    key = repr((line.method, path, spec, token, cookie, headers))
    if cache and key in world.missing_answers:
        return world.missing_answers[key]
    r = await world.call(line.method, path, token=token, cookie=cookie, headers=headers, **spec)
    if cache:
        world.missing_answers[key] = r
    return r


def _credentials(
    world: World, line: Line, column: str, owner: Owner
) -> tuple[str | None, str | None]:
    """(bearer token, session cookie) of a column."""
    if column == "anon":
        return None, None
    if column == "app":
        return world.app_token, None
    if column.startswith("oauth:"):
        token = owner.oauth[column.removeprefix("oauth:")]
        return (None, token) if line.door == "web" else (token, None)
    if column == "oauth-cookie":
        assert world.owner is not None
        return None, world.owner.oauth["read"]
    if line.door == "web":
        return None, owner.web if column == "owner" else world.web[column]
    user = owner.user if column == "owner" else world.people[column]
    return user.token, None


def _code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code"))
    return str(error) if error is not None else None


def _check(
    symbol: str,
    r: httpx.Response,
    missing: httpx.Response | None,
    target: Target,
    *,
    web: bool = False,
) -> None:
    said = f"{r.status_code} {r.text[:300]}"
    if symbol == "past" and _same(r, missing, target):
        return  # the group is gone for them: that is allowed too
    if symbol in ("ok", "past"):
        if r.status_code == 404:
            assert missing is not None and not _same(r, missing, target), f"missing: {said}"
        elif web and r.status_code == 303:
            assert not r.headers["location"].startswith("/login"), said
        else:
            domain = r.status_code in (409, 422) and (web or _code(r))
            assert r.status_code < 300 or domain, said
        if symbol == "past":
            leaked = [s for s in target.later if s in r.text]
            assert not leaked, f"tells what happened after leaving: {leaked}: {said}"
    elif symbol == "left" and _same(r, missing, target):
        return
    elif symbol in ("no", "left"):
        assert r.status_code in (403, 409, 422), said
        if not web:
            code = _code(r)
            assert code and code not in ("oauth_token", "outside_scopes", "csrf"), said
    elif symbol == "miss":
        assert missing is not None
        assert _same(r, missing, target), (
            f"hidden and missing differ: hidden {said}; missing {missing.status_code} "
            f"{missing.text[:300]}"
        )
    elif symbol == "401":
        assert r.status_code == 401, said
    elif symbol == "kind":
        assert r.status_code == 403 and _code(r) == "oauth_token", said
    elif symbol == "scope":
        assert r.status_code == 403, said
        assert r.json() == {"error": "This action is outside the authorized scopes"}, said
    elif symbol == "app":
        assert r.status_code == 422, said
    elif symbol == "login":
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), said
    else:
        raise AssertionError(f"unknown symbol {symbol}")


def _same(r: httpx.Response, missing: httpx.Response | None, target: Target) -> bool:
    """The same answer as for the missing id: status and body, where the body may echo the
    id that the caller sent (with the missing one in its place)."""
    if missing is None:
        return False
    own = target.values[target.subject].encode()
    echoed = r.content.replace(own, target.missing.encode())
    return (r.status_code, echoed) == (missing.status_code, missing.content)


# The cells


def _granted(scope: str, wanted: str) -> bool:
    from quanzi.domain.accounts.sessions import scope_granted

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
        return line.cells["anon"] if line.cells["anon"] != "ok" else "ok"
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


def _xfail(known: str | None) -> list[Any]:
    return [pytest.mark.xfail(strict=True, reason=known)] if known else []


def _cells() -> list[Any]:
    cells = [(line, column) for line in LINES for column in columns(line)]
    cells.sort(key=lambda cell: _phase(*cell))
    out = []
    for line, column in cells:
        known = policy.KNOWN.get((line.door, line.method, line.path, line.object, column))
        if expected(line, column) in ("kind", "login"):
            known = known or policy.KNOWN_COLUMNS.get((line.door, column))
        marks = _xfail(known)
        door = {"native": "n", "mastodon": "m", "web": "w"}[line.door]
        out.append(pytest.param(line, column, marks=marks, id=f"{door}:{line.name}:{column}"))
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
        missing = await _call(world, line, target.missing_values(), column, owner, cache=True)
    r = await _call(world, line, target.values, column, owner)
    if symbol in ("ok", "past") and r.status_code == 404 and missing is None:
        missing = await _call(world, line, target.missing_values(), column, owner, cache=True)
    _check(symbol, r, missing, target, web=line.door == "web")


# Every route is named


def _native_routes(document: dict[str, Any]) -> dict[tuple[str, str], bool]:
    """Each route of the OpenAPI document, and whether it takes an id (in its path, its
    query, or its body)."""
    schemas = document.get("components", {}).get("schemas", {})

    def fields(schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return set() if name in seen else fields(schemas[name], seen | {name})
        out: set[str] = set()
        for key in ("anyOf", "allOf", "oneOf"):
            for sub in schema.get(key, []):
                out |= fields(sub, seen)
        for name, sub in schema.get("properties", {}).items():
            out |= {name} | fields(sub, seen)
        if "items" in schema:
            out |= fields(schema["items"], seen)
        return out

    routes = {}
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            body: set[str] = set()
            for content in op.get("requestBody", {}).get("content", {}).values():
                body |= fields(content["schema"])
            takes_id = (
                "{" in path
                or any(ID_QUERY.search(n) for n in query - CURSORS)
                or any(ID_FIELD.search(n) for n in body - CURSORS)
            )
            routes[(method.upper(), path)] = takes_id
    return routes


def _mastodon_routes() -> dict[tuple[str, str], bool]:
    routes = {}
    for router in mastodon.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    key = (method, route.path_format)
                    routes[key] = "{" in route.path_format or key in MASTODON_BODY_IDS
    return routes


def _web_routes() -> dict[tuple[str, str], bool]:
    routes = {}
    for router in web_routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    routes[(method, route.path_format)] = "{" in route.path_format
    return routes


def _doors(document: dict[str, Any]) -> dict[str, dict[tuple[str, str], bool]]:
    return {
        "native": _native_routes(document),
        "mastodon": _mastodon_routes(),
        "web": _web_routes(),
    }


def _named(door: str) -> set[tuple[str, str]]:
    return {line.route for line in LINES if line.door == door} | {
        (method, path) for d, method, path, _ in policy.NO_ID if d == door
    }


def _unnamed(doors: dict[str, dict[tuple[str, str], bool]]) -> list[str]:
    """The routes that the policy does not name (for the web, those that take an id), and
    the routes named as taking no id that take one."""
    unnamed = [
        f"{door} {method} {path}"
        for door, routes in doors.items()
        for (method, path), takes_id in sorted(routes.items())
        if (method, path) not in _named(door) and (takes_id or door != "web")
    ]
    unnamed += [
        f"{door} {method} {path} takes an id: give it lines of its own"
        for door, method, path, _ in policy.NO_ID
        if doors[door].get((method, path))
    ]
    return unnamed


async def test_every_route_is_in_the_policy(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    unnamed = _unnamed(_doors(document))
    assert not unnamed, (
        "routes the access policy (tests/access_policy.py) does not name; say who may call "
        f"them: {unnamed}"
    )


async def test_a_route_the_policy_does_not_name_is_caught(world: World) -> None:
    """The check above is not vacuous: a new route with an id, in any door, or an id added to
    a route listed as taking none, is reported."""
    document = (await world.call("GET", "/api/openapi.json")).json()
    doors = _doors(document)
    doors["native"][("POST", "/api/quanzi/v1/things/{thing_id}")] = True
    doors["mastodon"][("GET", "/api/v1/things")] = False
    doors["web"][("GET", "/things/{thing_id}")] = True
    doors["native"][("GET", "/api/quanzi/v1/accounts/me")] = True
    assert _unnamed(doors) == [
        "native POST /api/quanzi/v1/things/{thing_id}",
        "mastodon GET /api/v1/things",
        "web GET /things/{thing_id}",
        "native GET /api/quanzi/v1/accounts/me takes an id: give it lines of its own",
    ]


def _gone(doors: dict[str, dict[tuple[str, str], bool]]) -> list[str]:
    return [
        f"{door} {method} {path}"
        for door in doors
        for method, path in sorted(_named(door))
        if (method, path) not in doors[door]
    ]


async def test_every_policy_line_names_a_route(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    gone = _gone(_doors(document))
    assert not gone, f"policy lines whose route is gone: {gone}"


async def test_a_policy_line_whose_route_is_gone_is_caught(world: World) -> None:
    document = (await world.call("GET", "/api/openapi.json")).json()
    doors = _doors(document)
    del doors["mastodon"][("GET", "/api/v1/statuses/{status_id}")]
    assert _gone(doors) == ["mastodon GET /api/v1/statuses/{status_id}"]


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
    optional = auth.startswith("?")
    anon = await world.call(method, path)
    if not optional:
        assert anon.status_code == 401, anon.text
    for scope in SCOPES:
        token = world.owner.oauth[scope]
        if door == "native":
            r = await world.call(method, path, token=token)
            assert r.status_code == 403 and _code(r) == "oauth_token", (scope, r.text)
        elif not _granted(scope, auth.removeprefix("?")):
            r = await world.call(method, path, token=token)
            assert r.status_code == 403, (scope, r.text)
            assert r.json() == {"error": "This action is outside the authorized scopes"}


# Streams


def _ws(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


STREAM_COLUMNS = ["owner", "anon", *(f"oauth:{s}" for s in SCOPES), "oauth-cookie"]


@pytest.mark.parametrize(
    "column",
    [pytest.param(c, id=c, marks=_xfail(policy.KNOWN_STREAM.get(c))) for c in STREAM_COLUMNS],
)
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


SSE_STREAMS = {
    "/api/v1/streaming/user": "read:statuses",
    "/api/v1/streaming/user/notification": "read:notifications",
    "/api/v1/streaming/public": "?read:statuses",
    "/api/v1/streaming/public/local": "?read:statuses",
    "/api/v1/streaming/hashtag?tag=matrix": "?read:statuses",
}
MASTODON_STREAM_COLUMNS = ["owner", "anon", *(f"oauth:{s}" for s in SCOPES), "app"]


def _stream_expected(scope: str, column: str) -> int:
    optional = scope.startswith("?")
    if column == "owner":
        return 200
    if column in ("anon", "app"):
        return 200 if optional else 401
    return 200 if _granted(column.removeprefix("oauth:"), scope.removeprefix("?")) else 403


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
    "public": "?read:statuses",
    "hashtag": "?read:statuses",
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
ITEM_9 = (
    "issue 13 item 9: a media URL handed out must work in a plain <img> (no header, no "
    "cookie) and with a Mastodon app's token"
)


@pytest.mark.parametrize(
    ("media", "how"),
    [
        pytest.param(
            m,
            how,
            id=f"{m}:{how}",
            marks=_xfail(None if (m, how) == ("post_media", "plain") else ITEM_9),
        )
        for m in SHOWN_MEDIA
        for how in ("plain", "app-token")
    ],
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
