"""Idle authenticated WebSocket connections held by one server process: memory per connection.

Client processes (separate from the server, several so none nears its open-files limit) open N
connections to /api/quanzi/v1/stream?access_token=..., each waiting for its "hello" frame, then hold
them idle while answering the server's protocol pings. The server's RSS is read before (after a
warm-up) and after; target: 10,000 connections at <= 40 KiB each.

The client is a raw asyncio Protocol (uvloop when installed) speaking just enough RFC 6455:
the upgrade, unmasked server frames, masked pong and close frames.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import math
import os
import struct
import sys
import time
from multiprocessing.connection import Connection
from typing import Any, cast

import orjson

from bench.common import (
    Server,
    Worker,
    env_overrides,
    http_json,
    log,
    machine,
    percentile,
    quanzi_server,
    register_user,
    rss_kib,
    rss_peak_kib,
    run_client,
    thread_count,
    workers,
)

TARGET_CONNECTIONS = 10_000
TARGET_KIB = 40.0
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PER_CLIENT = 5_000  # connections per client process (each holds one fd per connection)
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--connections", type=int, default=None, help=f"{TARGET_CONNECTIONS:,} (quick: 1,000)"
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=None,
        help="seconds to hold them all idle before reading RSS (25, past one server ping; "
        "quick: 5)",
    )
    parser.add_argument("--users", type=int, default=4, help="accounts the connections use")
    parser.add_argument(
        "--clients", type=int, default=None, help=f"client processes (one per {PER_CLIENT:,})"
    )
    parser.add_argument(
        "--warmup", type=int, default=50, help="connections opened and closed first"
    )
    parser.add_argument(
        "--handshakes", type=int, default=64, help="handshakes in flight per client process"
    )


def limit_seconds(args: argparse.Namespace) -> float:
    return 300.0 + float(args.idle or 25.0)


def run(args: argparse.Namespace) -> dict[str, Any]:
    total = args.connections or (1_000 if args.quick else TARGET_CONNECTIONS)
    idle = args.idle if args.idle is not None else (5.0 if args.quick else 25.0)
    clients = args.clients or max(1, math.ceil(total / PER_CLIENT))
    with quanzi_server(env_overrides(args.server_env)) as server:
        tokens = [register_user(server, f"bench_ws{i}") for i in range(args.users)]
        shares = [total // clients + (i < total % clients) for i in range(clients)]
        base = {"host": server.host, "port": server.port, "tokens": tokens}
        configs = [
            {**base, "connections": n, "handshakes": args.handshakes, "offset": i}
            for i, n in enumerate(shares)
        ]
        with workers(client_main, configs, "ws-client") as procs:
            for proc in procs:
                proc.recv(timeout=30)  # started
            warm_up(server, procs[0], args.warmup)
            rss_before = rss_kib(server.pid)
            log(
                f"RSS before {rss_before / 1024:.1f} MiB; opening {total:,} connections from "
                f"{clients} client process(es)"
            )
            t0 = time.perf_counter()
            for proc in procs:
                proc.send("connect")
            connected = [proc.recv(timeout=240) for proc in procs]
            connect_s = time.perf_counter() - t0
            opened = sum(c["hello"] for c in connected)
            rss_connected = rss_kib(server.pid)
            log(
                f"{opened:,} connected (hello received) in {connect_s:.1f} s; RSS "
                f"{rss_connected / 1024:.1f} MiB; holding them idle {idle:g} s"
            )
            time.sleep(idle)
            server.check_alive()
            rss_after = rss_kib(server.pid)
            peak = rss_peak_kib(server.pid)
            threads = thread_count(server.pid)
            for proc in procs:
                proc.send("report")
            held = [proc.recv(timeout=60) for proc in procs]
            # the server still answers HTTP with every socket open
            status, _ = http_json(server, "GET", "/healthz", timeout=10)
            for proc in procs:
                proc.send("close")
            for proc in procs:
                proc.recv(timeout=60)
    return summarize(
        total=total,
        idle=idle,
        connect_s=connect_s,
        connected=connected,
        held=held,
        rss=(rss_before, rss_connected, rss_after, peak),
        threads=threads,
        healthz=status,
        clients=clients,
    )


def warm_up(server: Server, worker: Worker, n: int) -> None:
    """A few connections opened, used and closed, so what the first ones load lazily (code,
    caches, pools) is not counted as memory per connection."""
    for _ in range(20):
        http_json(server, "GET", "/healthz")
    if n:
        worker.send(("warmup", n))
        warmed = worker.recv(timeout=60)
        log(f"warm-up: {warmed['warmed']} connections opened and closed")
    time.sleep(1.0)


def summarize(
    *,
    total: int,
    idle: float,
    connect_s: float,
    connected: list[dict[str, Any]],
    held: list[dict[str, Any]],
    rss: tuple[int, int, int, int],
    threads: int,
    healthz: int,
    clients: int,
) -> dict[str, Any]:
    rss_before, rss_connected, rss_after, peak = rss
    open_now = sum(h["open"] for h in held)
    handshakes = sorted(x for c in connected for x in c["handshake_s"])
    kib = (rss_after - rss_before) / open_now if open_now else math.nan
    met = open_now >= TARGET_CONNECTIONS and kib <= TARGET_KIB
    result = {
        "benchmark": "ws",
        "connections": open_now,
        "attempted": total,
        "hello_received": sum(c["hello"] for c in connected),
        "failed": sum(c["failed"] for c in connected),
        "closed_while_idle": sum(h["closed"] for h in held),
        "pings_answered": sum(h["pings"] for h in held),
        "kib_per_connection": round(kib, 2),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_connected_mib": round(rss_connected / 1024, 1),
        "rss_after_mib": round(rss_after / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        "server_threads": threads,
        "connect_s": round(connect_s, 2),
        "connects_per_s": round(total / connect_s, 1),
        "handshake_p50_ms": round(percentile(handshakes, 50) * 1000, 2),
        "handshake_p99_ms": round(percentile(handshakes, 99) * 1000, 2),
        "idle_s": idle,
        "healthz_while_held": healthz,
        "client_processes": clients,
        "target": {
            "connections": TARGET_CONNECTIONS,
            "kib_per_connection": TARGET_KIB,
            "kib_per_connection_met": kib <= TARGET_KIB,
            "met": met,
        },
        "machine": machine(),
    }
    log(
        f"{open_now:,} held, {kib:.1f} KiB each (RSS {rss_before / 1024:.1f} -> "
        f"{rss_after / 1024:.1f} MiB), connect {connect_s:.1f} s, "
        f"{result['pings_answered']} pings answered -> target {'met' if met else 'NOT met'}"
    )
    return result


# The client (runs in its own process)


class Tally:
    def __init__(self) -> None:
        self.open = 0
        self.closed = 0
        self.pings = 0


class WsConnection(asyncio.Protocol):
    """One client WebSocket: upgrade, wait for "hello", then answer pings until closed."""

    def __init__(self, request: bytes, accept: bytes, tally: Tally) -> None:
        self.request = request
        self.accept = accept
        self.tally = tally
        loop = asyncio.get_running_loop()
        self.hello: asyncio.Future[None] = loop.create_future()
        self.gone: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            del self.buffer[: end + 4]
            if not head.startswith(b"http/1.1 101") or self.accept.lower() not in head:
                self._fail(f"upgrade refused: {head[:200]!r}")
                return
            self.upgraded = True
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                (length,) = struct.unpack_from("!H", buffer, 2)
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                (length,) = struct.unpack_from("!Q", buffer, 2)
                start = 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._frame(opcode, payload)

    def _frame(self, opcode: int, payload: bytes) -> None:
        if opcode == OP_TEXT and not self.hello.done():
            message = orjson.loads(payload)
            if message.get("type") == "hello":
                self.tally.open += 1
                self.hello.set_result(None)
            else:
                self._fail(f"first frame is not hello: {payload[:200]!r}")
        elif opcode == OP_PING:
            self.tally.pings += 1
            self._send(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            if not self.closing:
                self.closing = True
                self._send(OP_CLOSE, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.upgraded and not self.closing:
            self.closing = True
            self._send(OP_CLOSE, struct.pack("!H", 1000))
        else:
            self.transport.close()

    def _fail(self, why: str) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.hello.done() and self.hello.exception() is None:
            self.tally.open -= 1
            if not self.closing:
                self.tally.closed += 1
        else:
            self._fail(f"connection lost before hello: {exc}")
        if not self.gone.done():
            self.gone.set_result(None)


def handshake_request(host: str, port: int, token: str) -> tuple[bytes, bytes]:
    key = base64.b64encode(os.urandom(16))
    accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())  # noqa: S324 (RFC 6455)
    request = (
        f"GET /api/quanzi/v1/stream?access_token={token} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    return request, accept


class Client:
    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config["host"]
        self.port: int = config["port"]
        self.tokens: list[str] = config["tokens"]
        self.offset: int = config["offset"]
        self.tally = Tally()
        self.conns: list[WsConnection] = []
        self.failed = 0
        self.errors: list[str] = []
        self.handshake_s: list[float] = []

    async def open_one(self, i: int, gate: asyncio.Semaphore) -> None:
        token = self.tokens[(self.offset + i) % len(self.tokens)]
        request, accept = handshake_request(self.host, self.port, token)
        loop = asyncio.get_running_loop()
        async with gate:
            started = time.perf_counter()
            try:
                _, conn = await loop.create_connection(
                    lambda: WsConnection(request, accept, self.tally), self.host, self.port
                )
                await asyncio.wait_for(conn.hello, timeout=60)
            except (OSError, ConnectionError, TimeoutError) as exc:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(f"{exc.__class__.__name__}: {exc}")
                return
            self.handshake_s.append(time.perf_counter() - started)
            self.conns.append(conn)

    async def open_many(self, n: int, in_flight: int) -> None:
        gate = asyncio.Semaphore(in_flight)
        await asyncio.gather(*(self.open_one(i, gate) for i in range(n)))

    async def close_all(self) -> None:
        for conn in self.conns:
            conn.close()
        if self.conns:
            await asyncio.wait([c.gone for c in self.conns], timeout=30)
        self.conns.clear()


def client_main(config: dict[str, Any], pipe: Connection) -> None:
    run_client(_client(config, pipe), pipe)


async def _client(config: dict[str, Any], pipe: Connection) -> None:
    from bench.common import recv_async

    pipe.send("started")
    client = Client(config)
    while True:
        command = await recv_async(pipe)
        if isinstance(command, tuple) and command[0] == "warmup":
            warm = Client(config)
            await warm.open_many(command[1], config["handshakes"])
            await asyncio.sleep(0.5)
            await warm.close_all()
            pipe.send({"warmed": len(warm.handshake_s), "failed": warm.failed})
        elif command == "connect":
            await client.open_many(config["connections"], config["handshakes"])
            if client.errors:
                print(f"ws client errors (first few): {client.errors}", file=sys.stderr)
            pipe.send(
                {
                    "hello": len(client.handshake_s),
                    "failed": client.failed,
                    "handshake_s": client.handshake_s,
                }
            )
        elif command == "report":
            tally = client.tally
            pipe.send({"open": tally.open, "closed": tally.closed, "pings": tally.pings})
        elif command == "close":
            await client.close_all()
            pipe.send({"done": True})
            return
