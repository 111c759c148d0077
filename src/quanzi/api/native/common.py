"""Shapes shared by every native endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from quanzi.kit.pagination import Page
from quanzi.kit.wire import Id

PREFIX = "/api/quanzi/v1"  # every native route is declared under it (and metrics label it so)

T = TypeVar("T")
M = TypeVar("M")


class PageOut(BaseModel, Generic[T]):
    """A page of a newest-first list. Ask for `max_id=next_max_id` to read older items and for
    `min_id=prev_min_id` to read newer ones."""

    items: list[T]
    next_max_id: Id | None
    prev_min_id: Id | None

    @classmethod
    def of(cls, page: Page[M], render: Callable[[M], T]) -> PageOut[T]:
        return cls(
            items=[render(item) for item in page.items],
            next_max_id=page.next_max_id,
            prev_min_id=page.prev_min_id,
        )


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, object] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
