"""The edge of every HTTP request: request id, body size limit, security headers, metrics and
the access log. One pure-ASGI layer, because each layer costs on every request."""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import orjson
import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quanzi.obs import metrics
from quanzi.obs.logging import get_logger

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = get_logger("quanzi.access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through to the handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is over {limit} bytes.")


class Edge:
    def __init__(self, app: ASGIApp, body_limit: Callable[[str], int], log_requests: bool) -> None:
        self.app = app
        self.body_limit = body_limit
        self.log_requests = log_requests
        # Request ids: this process's random prefix and a counter (cheaper than random bytes
        # per request, and still unique across processes).
        self._id_prefix = secrets.token_hex(3)
        self._id_counter = itertools.count(1)
        self._meters: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _meter(self, method: str, template: str, status: int) -> tuple[Any, Any]:
        key = (method, template, status)
        meter = self._meters.get(key)
        if meter is None:
            meter = self._meters[key] = (
                metrics.http_requests.labels(method, template, str(status)),
                metrics.http_latency.labels(method, template),
            )
        return meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = declared = None
        has_body = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        request_id = (
            given
            if given and REQUEST_ID_RE.match(given)
            else f"{self._id_prefix}{next(self._id_counter):010x}"
        )
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started_response = False
        limit = self.body_limit(scope["path"])

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                    *SECURITY_HEADERS,
                ]
            await send(message)

        try:
            if b"%00" in scope["query_string"] or "\x00" in scope["path"]:
                # No text anywhere may hold NUL (PostgreSQL cannot store it); refuse it at
                # the door rather than deep in a query.
                await _refuse(send_wrapper, 400, "bad_request", "The URL contains a NUL byte.")
                return
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await _too_large(send_wrapper, limit)
                return
            if not has_body:
                await self.app(scope, receive, send_wrapper)
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            try:
                await self.app(scope, receive_limited, send_wrapper)
            except BodyTooLarge:
                if started_response:
                    raise
                await _too_large(send_wrapper, limit)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            counter, latency = self._meter(method, template, status)
            counter.inc()
            latency.observe(elapsed)
            if self.log_requests:
                access_log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(send, 413, "too_large", f"The request body is over {limit} bytes.")


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
