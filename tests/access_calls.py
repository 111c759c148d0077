"""Calls of the access matrix: a policy line's request for one caller, and what its answer
must be for a symbol of the policy (tests/access_policy.py)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests import access_policy as policy
from tests.access_policy import Line
from tests.access_world import NATIVE as NATIVE_PREFIX
from tests.access_world import Owner, Target, World


def fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def request_of(line: Line) -> dict[str, Any]:
    if line.door == "web":
        return policy.WEB_REQUESTS.get(line.route, {})
    bare = line.path.removeprefix(NATIVE_PREFIX)
    for key in ((line.method, bare, line.object), (line.method, bare)):
        if key in policy.REQUESTS:
            return policy.REQUESTS[key]
    return {}


async def call(
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
    path = fill(line.path, values)
    spec = fill(request_of(line), values)
    token, cookie = credentials(world, line, column, owner)
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


def credentials(
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


def error_code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code"))
    return str(error) if error is not None else None


def check(
    symbol: str,
    r: httpx.Response,
    missing: httpx.Response | None,
    target: Target,
    *,
    web: bool = False,
) -> None:
    said = f"{r.status_code} {r.text[:300]}"
    if symbol == "past" and same(r, missing, target):
        return  # the group is gone for them: that is allowed too
    if symbol in ("ok", "past"):
        if r.status_code == 404:
            assert missing is not None and not same(r, missing, target), f"missing: {said}"
        elif web and r.status_code == 303:
            assert not r.headers["location"].startswith("/login"), said
        else:
            domain = r.status_code in (409, 422) and (web or error_code(r))
            assert r.status_code < 300 or domain, said
        if symbol == "past":
            leaked = [s for s in target.later if s in r.text]
            assert not leaked, f"tells what happened after leaving: {leaked}: {said}"
    elif symbol == "left" and same(r, missing, target):
        return
    elif symbol in ("no", "left"):
        assert r.status_code in (403, 409, 422), said
        if not web:
            code = error_code(r)
            assert code and code not in ("oauth_token", "outside_scopes", "csrf"), said
    elif symbol == "miss":
        assert missing is not None
        assert same(r, missing, target), (
            f"hidden and missing differ: hidden {said}; missing {missing.status_code} "
            f"{missing.text[:300]}"
        )
    elif symbol == "401":
        assert r.status_code == 401, said
    elif symbol == "kind":
        assert r.status_code == 403 and error_code(r) == "oauth_token", said
    elif symbol == "scope":
        assert r.status_code == 403, said
        assert r.json() == {"error": "This action is outside the authorized scopes"}, said
    elif symbol == "app":
        assert r.status_code == 422, said
    elif symbol == "login":
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), said
    else:
        raise AssertionError(f"unknown symbol {symbol}")


def same(r: httpx.Response, missing: httpx.Response | None, target: Target) -> bool:
    """The same answer as for the missing id: status and body, where the body may echo the
    id that the caller sent (with the missing one in its place)."""
    if missing is None:
        return False
    if (r.status_code, r.content) == (missing.status_code, missing.content):
        return True  # not even echoed (a short id, as a seq, may appear elsewhere in a page)
    own = target.values[target.subject].encode()
    echoed = r.content.replace(own, target.missing.encode())
    return (r.status_code, echoed) == (missing.status_code, missing.content)
