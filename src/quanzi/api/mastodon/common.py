"""What every Mastodon endpoint shares: JSON out, times and ids as Mastodon writes them, the
page window and the Link header that points to the next and previous pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from quanzi.errors import BadRequest, Invalid, NotFound
from quanzi.kit.ids import MAX_ID
from quanzi.kit.pagination import Page, Window

V1 = "/api/v1"
V2 = "/api/v2"
DEFAULT_LIMIT = 20
MAX_LIMIT = 40

T = TypeVar("T")


class MastoJSON(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class MastodonRoute(APIRoute):
    """Routes of the Mastodon door: the headers an authentication dependency leaves in the
    request's state (X-RateLimit-*) go out on the response the endpoint returns (FastAPI adds
    a dependency's headers only to responses it makes itself)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            response = await handler(request)
            extra: dict[str, str] | None = getattr(request.state, "mastodon_headers", None)
            if extra:
                response.headers.update(extra)
            return response

        return handle


def when(moment: datetime | None) -> str | None:
    """An instant as Mastodon writes it: UTC, milliseconds, Z."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def day(moment: datetime) -> str:
    """A date at midnight UTC (how Mastodon gives an account's creation)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT00:00:00.000Z")


def parse_id(value: str | None, name: str = "id") -> int | None:
    if value is None or value == "":
        return None
    if (
        not (value.isascii() and value.isdigit() and len(value) <= 19)
        or not 0 < int(value) <= MAX_ID
    ):
        raise Invalid(f"{name} is not an id.", code="invalid_id")
    return int(value)


def path_id(value: str) -> int:
    """A path id; anything that is not an id cannot name a status (404, as for a missing one)."""
    if value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID:
        return int(value)
    raise NotFound("Record not found")


def window_dep(max_limit: int = MAX_LIMIT) -> Callable[..., Any]:
    async def window(
        max_id: Annotated[str | None, Query()] = None,
        since_id: Annotated[str | None, Query()] = None,
        min_id: Annotated[str | None, Query()] = None,
        limit: Annotated[str | None, Query()] = None,
    ) -> Window:
        wanted = DEFAULT_LIMIT
        if limit:
            try:
                wanted = int(limit)
            except ValueError:
                raise Invalid("limit is not a number.", code="invalid_limit") from None
        return Window(
            max_id=parse_id(max_id, "max_id"),
            since_id=parse_id(since_id, "since_id"),
            min_id=parse_id(min_id, "min_id"),
            limit=max(1, min(wanted, max_limit)),
        )

    return window


StatusWindow = Annotated[Window, Depends(window_dep(MAX_LIMIT))]
AccountWindow = Annotated[Window, Depends(window_dep(80))]


def paged(request: Request, items: Sequence[Any], page: Page[T]) -> MastoJSON:
    """A page of entities, with the Link header Mastodon clients follow (`next`: older items,
    by max_id; `prev`: newer ones, by min_id)."""
    links = []
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in _CURSORS]
    for rel, key, value in (
        ("next", "max_id", page.next_max_id),
        ("prev", "min_id", page.prev_min_id),
    ):
        if value is not None and (items or rel == "prev"):
            query = urlencode([*keep, (key, str(value))])
            url = request.url.replace(path=quote(request.url.path), query=query)
            links.append(f'<{url}>; rel="{rel}"')
    response = MastoJSON(list(items))
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


_CURSORS = frozenset({"max_id", "since_id", "min_id"})


class Params:
    """A request's parameters as Mastodon clients send them: a form, a JSON object, or the
    query string (lists as `key[]`); booleans as true/false/1/0."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    async def of(cls, request: Request) -> Params:
        values: dict[str, Any] = {}
        for key, item in request.query_params.multi_items():
            _put(values, key, item)
        kind = request.headers.get("content-type", "")
        body = await request.body()  # read once: kept for the form parser and idempotency
        if kind.startswith("application/json"):
            if body.strip():
                try:
                    loaded = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise BadRequest("The request body is not valid JSON.") from None
                if not isinstance(loaded, dict):
                    raise Invalid("The request body must be a JSON object.", code="invalid_body")
                values.update(loaded)
        elif kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            for key, field in form.multi_items():
                _put(values, key, field)
        return cls(values)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, default)
        if value is None:
            return None
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, str | int | float):
            raise Invalid(f"{name} must be text.", code="invalid_param")
        return str(value)

    def number(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number, brought within low..high; anything else is refused (422)."""
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise Invalid(f"{name} is not a number.", code=f"invalid_{name}") from None
        return max(low, min(value, high))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "on", "yes")

    def ids(self, name: str) -> list[int]:
        value = self.values.get(name, [])
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            parsed = parse_id(str(item), name)
            if parsed is not None:
                out.append(parsed)
        return out

    def texts(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        return [str(v) for v in (value if isinstance(value, list) else [value])]


def _put(values: dict[str, Any], key: str, value: Any) -> None:
    if key.endswith("[]"):
        values.setdefault(key[:-2], []).append(value)
    else:
        values[key] = value
