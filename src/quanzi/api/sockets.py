"""What the socket doors share at the ASGI level: refusing an upgrade, reading a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope, Send

POLICY_VIOLATION = 1008


async def refuse(scope: Scope, send: Send, status: int, body: bytes) -> None:
    """Answer a WebSocket upgrade with an HTTP error (where the server lets us: uvicorn does),
    else close the socket before accepting it."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


def text_of(message: Mapping[str, Any]) -> str:
    """A client's WebSocket message as text (a binary one decoded as UTF-8)."""
    text = message.get("text")
    if text is None:
        text = (message.get("bytes") or b"").decode("utf-8", "replace")
    return str(text)
