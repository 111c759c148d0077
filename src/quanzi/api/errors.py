"""Rendering errors as the native API promises: {"error": {"code", "message"[, "details"]}}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from quanzi.errors import QuanziError
from quanzi.obs.logging import get_logger

log = get_logger("quanzi.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media",
    422: "invalid",
    429: "rate_limited",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


# The Mastodon-compatible door answers errors as Mastodon does: {"error": "<message>"}, and on
# the OAuth endpoints as RFC 6749 says: {"error": "<code>", "error_description": "<message>"}.
MASTODON_PREFIXES = ("/api/v1/", "/api/v2/")
OAUTH_PREFIX = "/oauth/"


def render(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    path: str = "",
) -> JSONResponse:
    body: dict[str, Any]
    if path.startswith(MASTODON_PREFIXES):
        body = {"error": message}
    elif path.startswith(OAUTH_PREFIX):
        body = {"error": code, "error_description": message}
    else:
        body = error_body(code, message, details)
    return JSONResponse(body, status_code=status, headers=headers)


async def quanzi_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QuanziError)
    return render(
        exc.status, exc.code, exc.message, exc.details, exc.headers, path=request.url.path
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        return render(
            400, "malformed_json", "The request body is not valid JSON.", path=request.url.path
        )
    fields = [
        {"loc": ".".join(str(part) for part in p.get("loc", ())), "message": p.get("msg", "")}
        for p in problems
    ]
    first = fields[0] if fields else {"loc": "", "message": "invalid"}
    message = f"{first['loc']}: {first['message']}" if first["loc"] else str(first["message"])
    return render(422, "invalid_request", message, {"fields": fields}, path=request.url.path)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return render(exc.status_code, code, message, headers=exc.headers, path=request.url.path)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return render(
        500,
        "internal_error",
        "Something went wrong on our side; it has been logged.",
        path=request.url.path,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(QuanziError, quanzi_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
