"""Authenticated small GET against one server process: GET /api/quanzi/v1/accounts/me with a bearer
token, over keep-alive connections, from a load generator in separate processes.

The load generator is a raw asyncio Protocol speaking HTTP/1.1 (uvloop when installed): one
request in flight per connection (closed loop), every response parsed by its Content-Length
and checked for status 200. Target on one process: >= 3,000 requests/s with p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any, cast

from bench.common import (
    cpu_seconds,
    env_overrides,
    http_json,
    log,
    machine,
    machine_cpu_seconds,
    percentile,
    quanzi_server,
    register_user,
    run_loop,
    workers,
)

TARGET_RPS = 3000.0
TARGET_P99_MS = 20.0
DEFAULT_PATH = "/api/quanzi/v1/accounts/me"
CLIENT_BOUND_PERCENT = 90.0  # a client process this busy may be what limits the rate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--duration", type=float, default=None, help="seconds (10; quick: 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--clients", type=int, default=1, help="load generator processes")
    parser.add_argument(
        "--path",
        default=DEFAULT_PATH,
        help="path to GET (e.g. /healthz to measure without auth and database)",
    )
    parser.add_argument("--no-auth", action="store_true", help="send no Authorization header")


def limit_seconds(args: argparse.Namespace) -> float:
    return 120.0 + float(args.warmup) + float(args.duration or 10.0)


def run(args: argparse.Namespace) -> dict[str, Any]:
    duration = args.duration or (3.0 if args.quick else 10.0)
    if args.concurrency < args.clients:
        raise ValueError("--concurrency must be at least --clients")
    with quanzi_server(env_overrides(args.server_env)) as server:
        token = register_user(server, "bench_api")
        status, body = http_json(server, "GET", args.path, token=None if args.no_auth else token)
        if status != 200:
            raise RuntimeError(f"GET {args.path} answered {status}, not 200: {body}")
        headers = "" if args.no_auth else f"Authorization: Bearer {token}\r\n"
        request = (
            f"GET {args.path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            f"Accept: application/json\r\n{headers}\r\n"
        ).encode()
        shares = [args.concurrency // args.clients] * args.clients
        for i in range(args.concurrency % args.clients):
            shares[i] += 1
        configs = [
            {
                "host": server.host,
                "port": server.port,
                "request": request,
                "connections": share,
                "warmup": args.warmup,
                "duration": duration,
                "server_pid": server.pid,
            }
            for share in shares
        ]
        log(
            f"GET {args.path}: {args.concurrency} connections from {args.clients} client "
            f"process(es), {args.warmup:g} s warm-up + {duration:g} s"
        )
        with workers(client_main, configs, "http-client") as procs:
            for proc in procs:
                proc.recv(timeout=30)  # started
            for proc in procs:
                proc.send("go")
            reports = [proc.recv(timeout=args.warmup + duration + 60) for proc in procs]
        server.check_alive()
        rss_mib = server.rss_kib() / 1024
    return summarize(args, reports, rss_mib)


def summarize(
    args: argparse.Namespace, reports: list[dict[str, Any]], rss_mib: float
) -> dict[str, Any]:
    latencies = sorted(x for r in reports for x in r["latencies"])
    done = len(latencies)
    window = max(r["window_s"] for r in reports)
    errors = sum(r["errors"] for r in reports)
    statuses: dict[str, int] = {}
    for r in reports:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    rps = done / window
    p50, p90, p99 = (percentile(latencies, q) * 1000 for q in (50, 90, 99))
    client_cpu = [round(r["client_cpu_percent"], 1) for r in reports]
    # the server's CPU over the window, read by the first client at its window's edges
    server_cpu = reports[0]["server_cpu_percent"]
    # what else ran on the machine meanwhile (other processes: noise), in % of one core
    others = reports[0]["machine_busy_percent"] - server_cpu - sum(client_cpu)
    client_bound = max(client_cpu) >= CLIENT_BOUND_PERCENT and server_cpu < CLIENT_BOUND_PERCENT
    if client_bound:
        log(f"WARNING: a client process used {max(client_cpu)} % of a core: client-bound")
    met = rps >= TARGET_RPS and p99 <= TARGET_P99_MS and errors == 0
    result = {
        "benchmark": "api",
        "path": args.path,
        "auth": not args.no_auth,
        "rps": round(rps, 1),
        "p50_ms": round(p50, 3),
        "p90_ms": round(p90, 3),
        "p99_ms": round(p99, 3),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else None,
        "requests": done,
        "errors": errors,
        "statuses": statuses,
        "concurrency": args.concurrency,
        "duration_s": round(window, 3),
        "warmup_s": args.warmup,
        "server_cpu_percent": round(server_cpu, 1),
        "client_processes": len(reports),
        "client_cpu_percent": client_cpu,
        "client_bound": client_bound,
        "other_processes_cpu_percent": round(max(0.0, others), 1),
        "steal_percent": round(reports[0]["machine_steal_percent"], 1),
        "server_rss_mib": round(rss_mib, 1),
        "target": {"rps": TARGET_RPS, "p99_ms": TARGET_P99_MS, "met": met},
        "machine": machine(),
    }
    log(
        f"{rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, {errors} errors, "
        f"server CPU {server_cpu:.0f} %, client CPU {client_cpu} %, others {others:.0f} % "
        f"-> target "
        f"{'met' if met else 'NOT met'}"
    )
    return result


# The load generator (runs in its own process)


class Load:
    """What one client process measured; shared by its connections."""

    def __init__(self) -> None:
        self.measuring = False
        self.running = True
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[str, int] = {}

    def record(self, status: int, seconds: float) -> None:
        if not self.measuring:
            return
        self.latencies.append(seconds)
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        if status != 200:
            self.errors += 1

    def fail(self, what: str) -> None:
        if self.measuring:
            self.errors += 1
            self.statuses[what] = self.statuses.get(what, 0) + 1


class HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with one request in flight at a time."""

    def __init__(self, request: bytes, load: Load, closed: asyncio.Future[None]) -> None:
        self.request = request
        self.load = load
        self.closed = closed
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = -1  # bytes of the whole response being read, once its head is parsed
        self.status = 0
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:  # chunked or close-delimited: not what these endpoints send
                self.load.fail("no-content-length")
                self.abort()
                return
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop > 0 else len(head)])
            self.need = end + 4 + length
        if len(buffer) < self.need:
            return
        if len(buffer) > self.need:  # one request in flight: nothing may follow
            self.load.fail("extra-bytes")
            self.abort()
            return
        self.load.record(self.status, time.perf_counter() - self.sent_at)
        buffer.clear()
        self.need = -1
        if self.load.running:
            self.send()
        else:
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.load.running:  # while running, a request is always in flight
            self.load.fail("connection-lost")
        if not self.closed.done():
            self.closed.set_result(None)


def client_main(config: dict[str, Any], pipe: Connection) -> None:
    try:
        pipe.send(run_loop(_client(config, pipe)))
    except BaseException:
        pipe.send({"error": traceback.format_exc()})
    finally:
        pipe.close()


async def _client(config: dict[str, Any], pipe: Connection) -> dict[str, Any]:
    from bench.common import recv_async

    pipe.send("started")
    await recv_async(pipe)  # "go": every client process starts at once
    loop = asyncio.get_running_loop()
    load = Load()
    closed: list[asyncio.Future[None]] = []
    for _ in range(config["connections"]):
        done: asyncio.Future[None] = loop.create_future()
        closed.append(done)
        await loop.create_connection(
            lambda done=done: HttpConnection(config["request"], load, done),  # type: ignore[misc]
            config["host"],
            config["port"],
        )
    await asyncio.sleep(config["warmup"])
    server_pid: int = config["server_pid"]
    (busy0, steal0), cpu0 = machine_cpu_seconds(), time.process_time()
    server0 = cpu_seconds(server_pid)
    t0 = time.perf_counter()
    load.measuring = True
    await asyncio.sleep(config["duration"])
    load.measuring = False
    t1 = time.perf_counter()
    (busy1, steal1), cpu1 = machine_cpu_seconds(), time.process_time()
    server1 = cpu_seconds(server_pid)
    load.running = False
    await asyncio.wait_for(asyncio.gather(*closed), timeout=30)
    window = t1 - t0
    return {
        "latencies": load.latencies,
        "errors": load.errors,
        "statuses": load.statuses,
        "window_s": window,
        "client_cpu_percent": 100 * (cpu1 - cpu0) / window,
        "server_cpu_percent": 100 * (server1 - server0) / window,
        "machine_busy_percent": 100 * (busy1 - busy0) / window,
        "machine_steal_percent": 100 * (steal1 - steal0) / window,
    }
