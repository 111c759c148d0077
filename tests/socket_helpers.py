"""Clients for the socket doors' tests: waiting for the server's state, a client that never
reads, and the close code a server sent."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed


async def until(condition: Any, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def closed_with(ws: ClientConnection, timeout: float = 10) -> int | None:
    """The close code, once the server has closed the socket (skipping frames before it)."""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()
    return ws.close_code


def upgrade(path: str, token: str) -> str:
    """A WebSocket handshake for `path` with the token in the query (`{host}` filled in)."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path}?access_token={token} HTTP/1.1\r\nHost: {{host}}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )


async def silent_client(
    base: str, request: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that sends `request`, reads the answer's head (101 or 200) and then never
    reads again, with a small receive buffer: what the server sends piles up on its side."""
    parts = urlsplit(base)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(request.replace("{host}", parts.netloc).encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split(b" ")[1] in (b"101", b"200"), head
    return reader, writer
