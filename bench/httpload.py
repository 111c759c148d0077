"""Authenticated GETs from client processes, for the benchmarks that read a generated world.

A client process holds keep-alive HTTP/1.1 connections (a raw asyncio Protocol, uvloop when
installed), one request in flight on each (closed loop). Every request carries its own bearer
token, so that many different accounts are read; every response is checked for status 200 and
its JSON list counted (an empty timeline or search answers no question).

Commands, over the worker's pipe:
- ("load", {...}): cycle through the given requests for a warm-up and a measured window;
  latencies and checks per tag (e.g. "zh" and "en") and per key (e.g. one query);
- ("watch", {...}): poll the given accounts' home timelines until each shows a marker text
  (the post being waited for), answering "polling" once every connection has had its first
  answer, then the time each account first saw it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

import orjson

from bench.common import cpu_seconds, machine_cpu_seconds, run_client


def get_request(host: str, port: int, path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Accept: application/json\r\n\r\n"
    ).encode()


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection, one request at a time: `await conn.get(request)`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = -1
        self.body_at = 0
        self.status = 0
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def get(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        assert self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

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
            if at < 0:
                self._fail(RuntimeError(f"no content-length in {head[:200]!r}"))
                return
            stop = head.find(b"\r\n", at + 2)
            self.body_at = end + 4
            self.need = self.body_at + int(head[at + 17 : stop if stop > 0 else len(head)])
        if len(buffer) < self.need:
            return
        body = bytes(buffer[self.body_at : self.need])
        del buffer[: self.need]
        self.need = -1
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(host: str, port: int) -> HttpConnection:
    _, conn = await asyncio.get_running_loop().create_connection(HttpConnection, host, port)
    return conn


@dataclass
class Tally:
    """What one tag or key measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    empty: int = 0  # 200 but nothing in the list
    short: int = 0  # fewer items than asked for
    items: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "statuses": dict(self.statuses),
            "empty": self.empty,
            "short": self.short,
            "items": self.items,
        }


# The event loop's timers keep whole milliseconds: sleeping to a due time wakes up to ~1.5 ms
# late (measured), which an open loop would count as the server's latency. So sleep to just
# before it and yield to the loop until it comes.
TIMER_SLACK_S = 0.002


async def sleep_until(due: float) -> None:
    delay = due - time.perf_counter() - TIMER_SLACK_S
    if delay > 0:
        await asyncio.sleep(delay)
    while time.perf_counter() < due:  # noqa: ASYNC110 (a spin of at most TIMER_SLACK_S)
        await asyncio.sleep(0)


def count_items(body: bytes, key: str) -> int:
    """Items in the answer's list under `key`; with no key, the answer is the list (Mastodon's
    way), or a single object (which counts as one)."""
    data = orjson.loads(body)
    if key:
        return len(data[key])
    return len(data) if isinstance(data, list) else 1


async def cmd_load(config: dict[str, Any], arg: dict[str, Any]) -> dict[str, Any]:
    """Closed loop (`connections` requests in flight) or, given a `rate`, open loop: request i
    is due at start + i / rate whatever happened to the others, and its latency counts from
    then (so a stalled server cannot hide its stalls by slowing the client down)."""
    host, port = config["host"], config["port"]
    requests: list[tuple[str, str, bytes]] = [tuple(r) for r in arg["requests"]]
    random.Random(arg.get("seed", 0)).shuffle(requests)
    count_key: str = arg["count_key"]
    want: int = int(arg.get("limit", 20))
    rate = float(arg.get("rate") or 0.0)
    by_tag: dict[str, Tally] = {}
    by_key: dict[str, Tally] = {}
    state = {"measuring": False, "running": True, "next": 0, "errors": 0, "most_in_flight": 0}

    def record(tag: str, key: str, status: int, body: bytes, seconds: float) -> None:
        for tally in (by_tag.setdefault(tag, Tally()), by_key.setdefault(key, Tally())):
            tally.latencies.append(seconds)
            tally.statuses[str(status)] += 1
        if status != 200:
            state["errors"] += 1
            return
        n = count_items(body, count_key)
        for tally in (by_tag[tag], by_key[key]):
            tally.items += n
            tally.empty += n == 0
            tally.short += n < want

    def next_request() -> tuple[str, str, bytes]:
        i = state["next"]
        state["next"] = i + 1
        return requests[i % len(requests)]

    async def closed(conn: HttpConnection) -> None:
        while state["running"]:
            tag, key, request = next_request()
            t0 = time.perf_counter()
            counted = state["measuring"]
            status, body = await conn.get(request)
            if counted and state["measuring"]:
                record(tag, key, status, body, time.perf_counter() - t0)

    idle: list[HttpConnection] = []
    conns = [await connect(host, port) for _ in range(int(arg["connections"]))]
    idle.extend(conns)
    freed = asyncio.Event()
    in_flight: set[asyncio.Task[None]] = set()

    async def take() -> HttpConnection:
        while True:
            while idle:
                conn = idle.pop()
                if not conn.closed.done():  # the server closes keep-alives idle for 5 s
                    return conn
                conns.remove(conn)
            if len(conns) < int(arg.get("max_connections", 256)):
                conns.append(await connect(host, port))
                return conns[-1]
            freed.clear()
            await freed.wait()

    async def one(due: float, counted: bool) -> None:
        tag, key, request = next_request()
        try:
            await one_request(tag, key, request, due, counted)
        except Exception as exc:  # counted as an answer that is not 200
            state["errors"] += 1
            if counted:
                for tally in (by_tag.setdefault(tag, Tally()), by_key.setdefault(key, Tally())):
                    tally.latencies.append(time.perf_counter() - due)
                    tally.statuses[type(exc).__name__] += 1

    async def one_request(tag: str, key: str, request: bytes, due: float, counted: bool) -> None:
        conn = await take()
        try:
            status, body = await conn.get(request)
        except ConnectionError:  # closed by the server just as it was reused: once more
            conns.remove(conn)
            conn = await take()
            status, body = await conn.get(request)
        idle.append(conn)
        freed.set()
        if counted:
            record(tag, key, status, body, time.perf_counter() - due)

    async def opened() -> None:
        start, i = time.perf_counter(), 0
        while state["running"]:
            due = start + i / rate
            i += 1
            await sleep_until(due)
            task = asyncio.create_task(one(due, bool(state["measuring"])))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            state["most_in_flight"] = max(state["most_in_flight"], len(in_flight))

    if rate > 0:
        tasks = [asyncio.create_task(opened())]
    else:
        tasks = [asyncio.create_task(closed(c)) for c in conns]
    await asyncio.sleep(float(arg["warmup"]))
    failed = [t for t in tasks if t.done()]
    if failed:
        failed[0].result()
    server_pid: int = config["server_pid"]
    (busy0, steal0), cpu0, server0 = machine_cpu_seconds(), time.process_time(), 0.0
    with contextlib.suppress(OSError):
        server0 = cpu_seconds(server_pid)
    t0 = time.perf_counter()
    state["measuring"] = True
    await asyncio.sleep(float(arg["duration"]))
    state["measuring"] = False
    window = time.perf_counter() - t0
    (busy1, steal1), cpu1 = machine_cpu_seconds(), time.process_time()
    server1 = cpu_seconds(server_pid)
    state["running"] = False
    await asyncio.wait_for(asyncio.gather(*tasks, *in_flight), timeout=120)
    for conn in conns:
        conn.close()
    return {
        "tags": {tag: t.report() for tag, t in by_tag.items()},
        "keys": {
            key: {k: v for k, v in t.report().items() if k != "latencies"}
            | {"n": len(t.latencies), "mean_ms": 1000 * sum(t.latencies) / len(t.latencies)}
            for key, t in by_key.items()
            if t.latencies
        },
        "errors": state["errors"],
        "window_s": window,
        "rate": rate or None,
        "connections_used": len(conns),
        "most_in_flight": state["most_in_flight"] if rate else len(conns),
        "client_cpu_percent": 100 * (cpu1 - cpu0) / window,
        "server_cpu_percent": 100 * (server1 - server0) / window,
        "machine_busy_percent": 100 * (busy1 - busy0) / window,
        "machine_steal_percent": 100 * (steal1 - steal0) / window,
    }


async def cmd_watch(config: dict[str, Any], arg: dict[str, Any], pipe: Connection) -> None:
    host, port = config["host"], config["port"]
    marker = str(arg["marker"]).encode()
    targets = [
        (str(a), get_request(host, port, str(arg["path"]), str(t))) for a, t in arg["targets"]
    ]
    seen: dict[str, float] = {}
    polls: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    pending = list(range(len(targets)))
    state = {"next": 0, "first_round": 0}
    everyone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    warm = asyncio.Event()
    deadline = time.monotonic() + float(arg["timeout"])

    async def loop(conn: HttpConnection) -> None:
        first = True
        while pending and time.monotonic() < deadline:
            i = pending[state["next"] % len(pending)]
            state["next"] += 1
            account, request = targets[i]
            status, body = await conn.get(request)
            now = time.monotonic()
            polls[account] += 1
            statuses[str(status)] += 1
            if first:
                first = False
                state["first_round"] += 1
                if state["first_round"] >= len(conns):
                    warm.set()
            if status == 200 and marker in body and account not in seen:
                seen[account] = now
                pending.remove(i)
        if not everyone.done():
            everyone.set_result(None)

    conns = [await connect(host, port) for _ in range(int(arg["connections"]))]
    tasks = [asyncio.create_task(loop(c)) for c in conns]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(warm.wait(), timeout=max(0.0, deadline - time.monotonic()))
    pipe.send("polling")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.shield(everyone), timeout=max(0.0, deadline - time.monotonic())
        )
    await asyncio.gather(*tasks)
    for conn in conns:
        conn.close()
    pipe.send(
        {
            "seen": seen,
            "missing": [targets[i][0] for i in pending],
            "polls": sum(polls.values()),
            "statuses": dict(statuses),
        }
    )


def client_main(config: dict[str, Any], pipe: Connection) -> None:
    run_client(_client(config, pipe), pipe)


async def _client(config: dict[str, Any], pipe: Connection) -> None:
    from bench.common import recv_async

    commands: dict[str, Callable[[Any], Any]] = {
        "load": lambda arg: cmd_load(config, arg),
    }
    pipe.send("started")
    while True:
        name, arg = await recv_async(pipe)
        if name == "stop":
            return
        if name == "watch":
            await cmd_watch(config, arg, pipe)
        else:
            pipe.send(await commands[name](arg))


# For the coordinating process


def measure(
    client: Any,
    requests: list[tuple[str, str, bytes]],
    *,
    count_key: str,
    warmup: float,
    duration: float,
    rate: float = 0.0,
    connections: int = 8,
    seed: int = 0,
    limit: int = 20,
) -> dict[str, Any]:
    """One "load" command on a client worker (bench.common.Worker): open loop at `rate`
    requests/s, or closed loop with `connections` in flight when rate is 0."""
    client.send(
        (
            "load",
            {
                "requests": requests,
                "connections": connections,
                "rate": rate,
                "warmup": warmup,
                "duration": duration,
                "count_key": count_key,
                "limit": limit,
                "seed": seed,
            },
        )
    )
    report: dict[str, Any] = client.recv(timeout=warmup + duration + 180)
    return report


def summarize(name: str, tally: dict[str, Any], window: float) -> dict[str, Any]:
    """Latencies and checks of one tag; fails on any answer that is not 200 or is empty."""
    from bench.common import percentile

    latencies = sorted(tally["latencies"])
    done = len(latencies)
    if not done:
        raise RuntimeError(f"{name}: no answer in the measured window")
    ok = tally["statuses"].get("200", 0)
    if ok != done:
        raise RuntimeError(
            f"{name}: {done - ok} of {done} answers were not 200: {tally['statuses']}"
        )
    if tally["empty"]:
        raise RuntimeError(f"{name}: {tally['empty']} of {done} answers were empty")
    return {
        "requests": done,
        "rps": round(done / window, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "mean_ms": round(1000 * sum(latencies) / done, 2),
        "mean_items": round(tally["items"] / done, 2),
        "short_pages": tally["short"],
    }


def machine_during(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "server_cpu_percent": round(report["server_cpu_percent"], 1),
        "client_cpu_percent": round(report["client_cpu_percent"], 1),
        "machine_busy_percent": round(report["machine_busy_percent"], 1),
        "steal_percent": round(report["machine_steal_percent"], 1),
        "most_in_flight": report["most_in_flight"],
    }
