"""Field types for what goes over the wire (native API bodies and events)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from quanzi.kit.ids import MAX_ID


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return value


# Ids travel as strings (JavaScript numbers stop at 2**53) and are accepted as strings or numbers.
Id = Annotated[
    int,
    BeforeValidator(_to_int),
    Field(ge=1, le=MAX_ID),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": "^[0-9]{1,19}$", "examples": ["271828182845904523"]}
    ),
]
