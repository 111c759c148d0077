"""Which routes each door has, and which of them take an id: read from the doors themselves
(the native OpenAPI document, the Mastodon door's and the web client's route tables), for the
access matrix's checks that the policy names every route and no route that is gone."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from quanzi.api import mastodon
from quanzi.web import routers as web_routers
from tests import access_policy as policy
from tests.access_policy import Line

Doors = dict[str, dict[tuple[str, str], bool]]  # door -> (method, path) -> takes an id

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


def native_routes(document: dict[str, Any]) -> dict[tuple[str, str], bool]:
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


def mastodon_routes() -> dict[tuple[str, str], bool]:
    routes = {}
    for router in mastodon.routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    key = (method, route.path_format)
                    routes[key] = "{" in route.path_format or key in MASTODON_BODY_IDS
    return routes


def web_routes() -> dict[tuple[str, str], bool]:
    routes = {}
    for router in web_routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods:
                    routes[(method, route.path_format)] = "{" in route.path_format
    return routes


def doors(document: dict[str, Any]) -> Doors:
    return {
        "native": native_routes(document),
        "mastodon": mastodon_routes(),
        "web": web_routes(),
    }


def named(lines: list[Line], door: str) -> set[tuple[str, str]]:
    return {line.route for line in lines if line.door == door} | {
        (method, path) for d, method, path, _ in policy.NO_ID if d == door
    }


def unnamed(lines: list[Line], doors: Doors) -> list[str]:
    """The routes that the policy does not name (for the web, those that take an id), and
    the routes named as taking no id that take one."""
    unnamed = [
        f"{door} {method} {path}"
        for door, routes in doors.items()
        for (method, path), takes_id in sorted(routes.items())
        if (method, path) not in named(lines, door) and (takes_id or door != "web")
    ]
    unnamed += [
        f"{door} {method} {path} takes an id: give it lines of its own"
        for door, method, path, _ in policy.NO_ID
        if doors[door].get((method, path))
    ]
    return unnamed


def gone(lines: list[Line], doors: Doors) -> list[str]:
    return [
        f"{door} {method} {path}"
        for door in doors
        for method, path in sorted(named(lines, door))
        if (method, path) not in doors[door]
    ]
