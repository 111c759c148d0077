"""The error family. A rule that says no raises one of these; each door renders it its own way
(native JSON, Mastodon's {"error": ...}, an HTML fragment) with the status it carries."""

from __future__ import annotations

from typing import Any, ClassVar


class QuanziError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "The request cannot be served."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(QuanziError):
    pass


class Invalid(QuanziError):
    """Well-formed but unacceptable input (a taken handle, a weak password)."""

    status = 422
    code = "invalid"
    default_message = "The request has invalid values."


class Unauthorized(QuanziError):
    status = 401
    code = "unauthorized"
    default_message = "Log in first."


class Forbidden(QuanziError):
    """Only for acts on objects the caller may see; hidden objects answer NotFound instead."""

    status = 403
    code = "forbidden"
    default_message = "You may not do that."


class NotFound(QuanziError):
    """Missing and forbidden look the same: the caller learns nothing about what exists."""

    status = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(QuanziError):
    status = 409
    code = "conflict"
    default_message = "That conflicts with what exists."


class PayloadTooLarge(QuanziError):
    status = 413
    code = "too_large"
    default_message = "The request body is too large."


class UnsupportedMedia(QuanziError):
    status = 415
    code = "unsupported_media"
    default_message = "That kind of file is not accepted."


class RateLimited(QuanziError):
    status = 429
    code = "rate_limited"
    default_message = "Too many attempts; try again later."

    def __init__(
        self, retry_after: int, message: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        retry_after = max(1, retry_after)
        super().__init__(
            message,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after), **(headers or {})},
        )


class Unavailable(QuanziError):
    status = 503
    code = "unavailable"
    default_message = "The service is not ready."
