"""Chat over real WebSockets against one server process on the embedded default (SQLite).

All phases run against one `quanzi serve` child process; the setup (accounts, friendships, chats)
goes through the HTTP API. Client load comes from separate processes (raw asyncio protocols on
uvloop, speaking just enough RFC 6455), each holding a share of the sockets.

1. throughput: N sender/receiver pairs (50; quick 10), each pair in its own direct chat. Every
   sender keeps a window of unacknowledged `message.send` frames (32) full through a warm-up and
   a measured window (2 s + 10 s; quick 1 s + 3 s). Counted inside the window: acks (committed
   messages) and `message.new` frames on the receivers' sockets. Afterwards every acked message
   must have reached its receiver exactly once. `msgs_per_s` is the lower of the two rates.
   Target: >= 2,000 msgs/s.
2. latency: open-loop sends at 100 and at 1,000 msgs/s (10 s each; quick 3 s) spread over the
   same pairs, timed from just before the frame is written to the moment the receiver's socket
   has its `message.new` (the send time travels in the text: time.monotonic() is system-wide).
   Targets: p99 <= 10 ms at 100/s and <= 25 ms at 1,000/s.
3. catch-up: a receiver disconnects, 10,000 messages (quick 2,000) are sent into its chat, it
   reconnects and reads them through GET .../messages?after_seq=S&limit=500. Timed from the start
   of the reconnect to having all of them, checked in order, complete and without duplicates.
   Target: <= 1 s.
4. fan-out: a 500-member group (quick 100) with every member's socket open, spread over the
   client processes; the owner sends one message, timed until the last member's socket has it.
   20 rounds (quick 5) after 2 unmeasured ones, one at a time. Target: median <= 100 ms.
5. --vs-synapse: once the quanzi server has stopped, the peer benchmark in
   /work/shared/peers/synapse ("conc": 2,000 sends with 50 in flight; "latency": 300 messages at
   10/s) against a local Synapse on SQLite, installed into /tmp/peer-synapse when missing.
   Targets: quanzi msgs_per_s >= 20x Synapse's sends/s, and quanzi p99 at 100/s <= 0.25x
   Synapse's end-to-end p99.

--quick is for checking the benchmark itself: smaller sizes everywhere (and Synapse with 500
sends and 100 latency messages), so its figures are not comparable with the targets.

The server runs with cheap argon2 parameters and lifted registration, login and friend-request
rate limits so that the setup is fast; both are recorded under "setup" in the result and touch
none of the measured paths. Two things of the server the clients work around (and report):
direct chats are opened at most 3 at a time (more at once can exhaust the 4 SQLite reader
connections: rendering a direct chat takes a second one for the peer's account while holding
the first), and a "presence" frame may arrive before a socket's "hello" (counted, not fatal).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import itertools
import os
import random
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

from bench.common import (
    PASSWORD,
    UNLIMITED_RATE,
    Server,
    Worker,
    cpu_seconds,
    env_overrides,
    free_port,
    http_json,
    log,
    machine,
    machine_cpu_seconds,
    percentile,
    quanzi_server,
    run_client,
    workers,
)

T = TypeVar("T")
R = TypeVar("R")

TARGET_MSGS_PER_S = 2000.0
TARGET_P99_MS_100 = 10.0
TARGET_P99_MS_1000 = 25.0
TARGET_CATCHUP_S = 1.0
TARGET_FANOUT_MS = 100.0
TARGET_RATIO_RATE = 20.0
TARGET_RATIO_P99 = 0.25

# Only to make the setup fast: registering hundreds of accounts with the default argon2
# parameters takes minutes, and a group of 500 needs 499 friend requests from its owner.
SETUP_ENV = {
    "QUANZI_ARGON2_TIME_COST": "1",
    "QUANZI_ARGON2_MEMORY_KIB": "1024",
    "QUANZI_ARGON2_PARALLELISM": "1",
    "QUANZI_RATE_FRIEND_REQUEST": UNLIMITED_RATE,
}
SETUP_THREADS = 16
DIRECT_OPEN_THREADS = 3

PEER_SRC = Path("/work/shared/peers/synapse")
PEER_DIR = Path("/tmp/peer-synapse")  # noqa: S108 (where the peer's README installs it)
SYNAPSE_N, SYNAPSE_CONCURRENCY, SYNAPSE_LAT_N, SYNAPSE_LAT_RATE = 2000, 50, 300, 10.0

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
PAGE = 500  # the API's largest page of messages
CLIENT_BOUND_PERCENT = 90.0


# Options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=int, default=None, help="sender/receiver pairs (50; 10)")
    parser.add_argument("--window", type=int, default=32, help="unacked sends per sender")
    parser.add_argument("--duration", type=float, default=None, help="measured s (10; 3)")
    parser.add_argument("--warmup", type=float, default=None, help="s before measuring (2; 1)")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--rates", default="100,1000", help="open-loop rates of the latency phase, msgs/s"
    )
    parser.add_argument(
        "--latency-duration", type=float, default=None, help="s per latency rate (10; 3)"
    )
    parser.add_argument(
        "--catchup-messages", type=int, default=None, help="backlog (10,000; 2,000)"
    )
    parser.add_argument(
        "--catchup-rereads", type=int, default=2, help="extra reconnect-and-reads of the backlog"
    )
    parser.add_argument("--group-members", type=int, default=None, help="incl. owner (500; 100)")
    parser.add_argument("--fanout-rounds", type=int, default=None, help="measured rounds (20; 5)")
    parser.add_argument(
        "--phases",
        default="throughput,latency,catchup,fanout",
        help="which quanzi phases to run (comma-separated)",
    )
    parser.add_argument(
        "--vs-synapse", action="store_true", help="also run the Synapse peer benchmark"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="record the server with py-spy during each phase (collapsed stacks into DIR)",
    )


@dataclass(frozen=True)
class Plan:
    quick: bool
    pairs: int
    window: int
    warmup: float
    duration: float
    clients: int
    rates: tuple[float, ...]
    latency_duration: float
    catchup_messages: int
    catchup_rereads: int
    group_members: int
    fanout_rounds: int
    phases: frozenset[str]
    vs_synapse: bool
    profile_dir: Path | None
    server_env: dict[str, str]

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        quick = bool(args.quick)

        def pick(value: T | None, full: T, short: T) -> T:
            return value if value is not None else (short if quick else full)

        phases = frozenset(p.strip() for p in str(args.phases).split(",") if p.strip())
        unknown = phases - {"throughput", "latency", "catchup", "fanout"}
        if unknown:
            raise ValueError(f"unknown phases: {sorted(unknown)}")
        plan = cls(
            quick=quick,
            pairs=pick(args.pairs, 50, 10),
            window=int(args.window),
            warmup=pick(args.warmup, 2.0, 1.0),
            duration=pick(args.duration, 10.0, 3.0),
            clients=max(1, int(args.clients)),
            rates=tuple(float(r) for r in str(args.rates).split(",") if r.strip()),
            latency_duration=pick(args.latency_duration, 10.0, 3.0),
            catchup_messages=pick(args.catchup_messages, 10_000, 2_000),
            catchup_rereads=max(0, int(args.catchup_rereads)),
            group_members=pick(args.group_members, 500, 100),
            fanout_rounds=pick(args.fanout_rounds, 20, 5),
            phases=phases,
            vs_synapse=bool(args.vs_synapse),
            profile_dir=args.profile,
            server_env={**SETUP_ENV, **env_overrides(args.server_env)},
        )
        if plan.group_members < 2 or plan.pairs < 1 or plan.window < 1:
            raise ValueError("--group-members >= 2, --pairs >= 1 and --window >= 1")
        if plan.group_members > 500 and "QUANZI_GROUP_MAX_MEMBERS" not in plan.server_env:
            plan.server_env["QUANZI_GROUP_MAX_MEMBERS"] = str(plan.group_members)
        return plan


def limit_seconds(args: argparse.Namespace) -> float:
    try:
        plan = Plan.of(args)
    except ValueError:
        return 600.0  # run() raises the same error, inside the time limit
    quanzi = (
        240.0
        + plan.warmup
        + plan.duration
        + len(plan.rates) * (plan.latency_duration + 30.0)
        + plan.catchup_messages / 200.0
        + plan.group_members / 5.0
        + plan.fanout_rounds * 2.0
    )
    return quanzi + (1200.0 if plan.vs_synapse else 0.0)


# The run (this process coordinates; the client processes do the talking)


def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan.of(args)
    if plan.profile_dir is not None:
        plan.profile_dir.mkdir(parents=True, exist_ok=True)
    phases: dict[str, Any] = {}
    setup_info: dict[str, Any] = {}
    with quanzi_server(plan.server_env) as server:
        t0 = time.monotonic()
        world = set_up(server, plan)
        setup_info["seconds"] = round(time.monotonic() - t0, 1)
        log(f"setup done in {setup_info['seconds']} s")
        configs = [
            {"host": server.host, "port": server.port, "index": i} for i in range(plan.clients)
        ]
        with workers(client_main, configs, "chat-client") as procs:
            for proc in procs:
                proc.recv(timeout=60)  # started
            if "throughput" in plan.phases or "latency" in plan.phases:
                early = open_sockets(procs, world.pair_sockets(plan.clients))
                setup_info["pair_sockets_frames_before_hello"] = early
            if "throughput" in plan.phases:
                phases["throughput"] = phase_throughput(server, procs, plan, world)
                time.sleep(1.0)
            if "latency" in plan.phases:
                phases["latency"] = {}
                for rate in plan.rates:
                    phases["latency"][f"{rate:g}"] = phase_latency(server, procs, plan, world, rate)
                    time.sleep(1.0)
            for proc in procs:
                proc.send(("close", None))
            for proc in procs:
                proc.recv(timeout=60)
            if "catchup" in plan.phases:
                phases["catchup"] = phase_catchup(server, procs, plan, world)
                time.sleep(1.0)
            if "fanout" in plan.phases:
                phases["fanout"] = phase_fanout(server, procs, plan, world)
        server.check_alive()
        server_rss_mib = server.rss_kib() / 1024
    synapse = run_synapse(plan) if plan.vs_synapse else None
    return summarize(plan, phases, synapse, setup_info, server_rss_mib)


# Setup through the HTTP API


@dataclass(frozen=True)
class Account:
    handle: str
    id: str
    token: str


@dataclass
class World:
    pairs: list[tuple[Account, Account, str]]  # sender, receiver, direct chat id
    catchup: tuple[Account, Account, str] | None
    group: list[Account]  # the owner first
    group_id: str | None

    def pair_sockets(self, clients: int) -> list[list[tuple[str, str]]]:
        """(key, token) of every pair socket, per client process: a pair stays together."""
        shares: list[list[tuple[str, str]]] = [[] for _ in range(clients)]
        for i, (sender, receiver, _) in enumerate(self.pairs):
            shares[i % clients] += [(f"s{i}", sender.token), (f"r{i}", receiver.token)]
        return shares

    def pair_specs(self, clients: int) -> list[list[tuple[int, str, str, str]]]:
        shares: list[list[tuple[int, str, str, str]]] = [[] for _ in range(clients)]
        for i, (_, _, conv) in enumerate(self.pairs):
            shares[i % clients].append((i, f"s{i}", f"r{i}", conv))
        return shares

    def group_sockets(self, clients: int) -> list[list[tuple[str, str]]]:
        shares: list[list[tuple[str, str]]] = [[] for _ in range(clients)]
        for i, account in enumerate(self.group):
            shares[i % clients].append((f"g{i}", account.token))
        return shares


def api(
    server: Server,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    token: str | None = None,
    expect: Iterable[int] = (200, 201),
) -> Any:
    status, data = http_json(server, method, path, body, token=token, timeout=120)
    if status not in set(expect):
        raise RuntimeError(f"{method} {path} answered {status}: {data}\n{server.log_tail(10)}")
    return data


def parallel(fn: Callable[[T], R], items: Sequence[T], threads: int = SETUP_THREADS) -> list[R]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(fn, items))


def register(server: Server, handle: str) -> Account:
    created = api(
        server,
        "POST",
        "/api/quanzi/v1/accounts",
        {"handle": handle, "password": PASSWORD, "display_name": handle.replace("_", " ")},
    )
    session = api(
        server,
        "POST",
        "/api/quanzi/v1/sessions",
        {"login": handle, "password": PASSWORD, "device_name": "bench"},
    )
    return Account(handle, str(created["id"]), str(session["token"]))


def befriend(server: Server, pairs: Sequence[tuple[Account, Account]]) -> None:
    """Make each (sender, receiver) friends at once: the receiver needs no verification."""
    receivers = list({r.id: r for _, r in pairs}.values())
    parallel(
        lambda r: api(
            server,
            "PATCH",
            "/api/quanzi/v1/accounts/me",
            {"privacy": {"add_needs_verification": False}},
            token=r.token,
        ),
        receivers,
    )

    def ask(pair: tuple[Account, Account]) -> None:
        sender, receiver = pair
        answer = api(
            server,
            "POST",
            "/api/quanzi/v1/friend-requests",
            {"account_id": receiver.id},
            token=sender.token,
        )
        if not answer.get("friends"):
            raise RuntimeError(f"{sender.handle} and {receiver.handle} are not friends: {answer}")

    parallel(ask, list(pairs))


def set_up(server: Server, plan: Plan) -> World:
    handles: list[str] = []
    if plan.phases & {"throughput", "latency"}:
        for i in range(plan.pairs):
            handles += [f"chat_s{i}", f"chat_r{i}"]
    if "catchup" in plan.phases:
        handles += ["catchup_s", "catchup_r"]
    if "fanout" in plan.phases:
        handles += [f"group_{i}" for i in range(plan.group_members)]
    log(f"setup: registering {len(handles)} accounts ({SETUP_THREADS} threads)")
    accounts = dict(zip(handles, parallel(lambda h: register(server, h), handles), strict=True))

    friendships: list[tuple[Account, Account]] = []
    if plan.phases & {"throughput", "latency"}:
        friendships += [(accounts[f"chat_s{i}"], accounts[f"chat_r{i}"]) for i in range(plan.pairs)]
    if "catchup" in plan.phases:
        friendships.append((accounts["catchup_s"], accounts["catchup_r"]))
    group = (
        [accounts[f"group_{i}"] for i in range(plan.group_members)]
        if ("fanout" in plan.phases)
        else []
    )
    friendships += [(group[0], member) for member in group[1:]]
    log(f"setup: {len(friendships)} friendships")
    befriend(server, friendships)

    def direct(pair: tuple[Account, Account]) -> str:
        sender, receiver = pair
        conv = api(
            server,
            "POST",
            "/api/quanzi/v1/conversations/direct",
            {"account_id": receiver.id},
            token=sender.token,
        )
        return str(conv["id"])

    chat_pairs = friendships[: plan.pairs] if plan.phases & {"throughput", "latency"} else []
    # Fewer at a time than the server has SQLite readers (4): rendering a direct chat reads
    # the peer through the account cache, which takes a second reader connection while the
    # request holds one; 16 at once deadlock the reader pool until its 30 s timeout (HTTP 500).
    convs = parallel(direct, chat_pairs, threads=DIRECT_OPEN_THREADS)
    pairs = [(s, r, c) for (s, r), c in zip(chat_pairs, convs, strict=True)]
    catchup = None
    if "catchup" in plan.phases:
        pair = (accounts["catchup_s"], accounts["catchup_r"])
        catchup = (*pair, direct(pair))
    group_id = None
    if group:
        log(f"setup: a group of {len(group)}")
        conv = api(
            server,
            "POST",
            "/api/quanzi/v1/conversations/group",
            {"name": "bench fan-out", "member_ids": [m.id for m in group[1:]]},
            token=group[0].token,
        )
        if conv["member_count"] != len(group):
            raise RuntimeError(f"the group has {conv['member_count']} members, not {len(group)}")
        group_id = str(conv["id"])
    return World(pairs, catchup, group, group_id)


# Phases (coordinator side)


def open_sockets(procs: Sequence[Worker], shares: Sequence[Sequence[tuple[str, str]]]) -> int:
    """Open the sockets of each client process; how many frames came before their "hello"."""
    t0 = time.monotonic()
    for proc, share in zip(procs, shares, strict=True):
        proc.send(("open", {"conns": list(share), "in_flight": 32}))
    replies = [proc.recv(timeout=300) for proc in procs]
    opened = sum(r["opened"] for r in replies)
    early = sum(int(r["frames_before_hello"]) for r in replies)
    log(
        f"{opened} sockets open (hello received) in {time.monotonic() - t0:.1f} s; "
        f"{early} frames came before their socket's hello"
    )
    return early


@dataclass
class CpuMark:
    t: float
    server: float
    clients: list[float]
    machine_busy: float
    machine_steal: float

    @classmethod
    def now(cls, server: Server, procs: Sequence[Worker]) -> CpuMark:
        busy, steal = machine_cpu_seconds()
        return cls(
            time.monotonic(),
            server.cpu_seconds(),
            [cpu_seconds(p.pid) for p in procs],
            busy,
            steal,
        )

    def until(self, end: CpuMark) -> dict[str, Any]:
        span = max(end.t - self.t, 1e-9)
        server = 100 * (end.server - self.server) / span
        clients = [100 * (b - a) / span for a, b in zip(self.clients, end.clients, strict=True)]
        busy = 100 * (end.machine_busy - self.machine_busy) / span
        return {
            "server_cpu_percent": round(server, 1),
            "client_cpu_percent": [round(c, 1) for c in clients],
            "other_processes_cpu_percent": round(max(0.0, busy - server - sum(clients)), 1),
            "steal_percent": round(100 * (end.machine_steal - self.machine_steal) / span, 1),
        }


def sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


@contextlib.contextmanager
def profiled(plan: Plan, server: Server, name: str) -> Iterator[None]:
    """py-spy record of the server while the block runs (only with --profile)."""
    if plan.profile_dir is None:
        yield
        return
    py_spy = Path(sys.executable).with_name("py-spy")
    out = plan.profile_dir / f"{name}.txt"
    err = (plan.profile_dir / f"{name}.py-spy.log").open("wb")
    proc = subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(server.pid),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdin=subprocess.DEVNULL,
        stdout=err,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(0.3)  # py-spy attaches
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        err.close()
        log(f"profile of {name}: {out}")


def phase_throughput(
    server: Server, procs: Sequence[Worker], plan: Plan, world: World
) -> dict[str, Any]:
    specs = world.pair_specs(plan.clients)
    t_start = time.monotonic() + 1.0
    t_measure = t_start + plan.warmup
    t_end = t_measure + plan.duration
    log(
        f"throughput: {plan.pairs} pairs over {plan.clients} client process(es), window "
        f"{plan.window}, {plan.warmup:g} s warm-up + {plan.duration:g} s"
    )
    for proc, share in zip(procs, specs, strict=True):
        proc.send(
            (
                "throughput",
                {
                    "pairs": share,
                    "window": plan.window,
                    "t_start": t_start,
                    "t_measure": t_measure,
                    "t_end": t_end,
                    "drain_timeout": 60.0,
                },
            )
        )
    sleep_until(t_measure)
    with profiled(plan, server, "throughput"):
        before = CpuMark.now(server, procs)
        sleep_until(t_end)
        after = CpuMark.now(server, procs)
    reports = [proc.recv(timeout=plan.duration + 120) for proc in procs]
    server.check_alive()
    window = after.t - before.t
    acked = sum(r["acked_in_window"] for r in reports)
    delivered = sum(r["delivered_in_window"] for r in reports)
    acks = sorted(x for r in reports for x in r["ack_latencies"])
    totals = {
        key: sum(r[key] for r in reports)
        for key in (
            "sent",
            "acked",
            "delivered",
            "lost",
            "duplicates",
            "unexpected",
            "unacked",
            "out_of_order",
            "send_errors",
            "sender_echoes",
            "closed_sockets",
        )
    }
    intact = all(
        totals[k] == 0
        for k in ("lost", "duplicates", "unexpected", "unacked", "send_errors", "closed_sockets")
    )
    cpu = before.until(after)
    sent_rate, delivered_rate = acked / window, delivered / window
    result = {
        "msgs_per_s": round(min(sent_rate, delivered_rate), 1),
        "sent_acked_per_s": round(sent_rate, 1),
        "delivered_per_s": round(delivered_rate, 1),
        "window_s": round(window, 3),
        "pairs": plan.pairs,
        "send_window": plan.window,
        "ack_p50_ms": round(percentile(acks, 50) * 1000, 2),
        "ack_p99_ms": round(percentile(acks, 99) * 1000, 2),
        "totals_whole_run": totals,
        "exactly_once": intact,
        "drain_s": round(max(r["drain_s"] for r in reports), 2),
        **cpu,
    }
    if max(cpu["client_cpu_percent"]) >= CLIENT_BOUND_PERCENT:
        log("WARNING: a client process was near a full core: the clients may be the limit")
    log(
        f"throughput: {sent_rate:,.0f} acked/s, {delivered_rate:,.0f} delivered/s, "
        f"exactly once: {intact} ({totals}), server CPU {cpu['server_cpu_percent']} %, "
        f"clients {cpu['client_cpu_percent']} %"
    )
    return result


def phase_latency(
    server: Server, procs: Sequence[Worker], plan: Plan, world: World, rate: float
) -> dict[str, Any]:
    count = max(1, round(rate * plan.latency_duration))
    specs = world.pair_specs(plan.clients)
    active = [i for i, share in enumerate(specs) if share]
    log(f"latency: {count} messages open-loop at {rate:g}/s over {plan.pairs} pairs")
    t_start = time.monotonic() + 0.5
    for slot, i in enumerate(active):
        procs[i].send(
            (
                "latency",
                {
                    "pairs": specs[i],
                    "rate": rate,
                    "count": count,
                    "slot": slot,
                    "slots": len(active),
                    "t_start": t_start,
                    "tag": f"{rate:g}",
                    "timeout": 30.0,
                },
            )
        )
    sleep_until(t_start)
    with profiled(plan, server, f"latency_{rate:g}"):
        before = CpuMark.now(server, procs)
        sleep_until(t_start + count / rate)
        after = CpuMark.now(server, procs)
    reports = [procs[i].recv(timeout=count / rate + 90) for i in active]
    server.check_alive()
    e2e = sorted(x for r in reports for _, x in r["samples"])
    acks = sorted(x for r in reports for x in r["ack_latencies"])
    lags = sorted(x for r in reports for x in r["lags"])
    missing = sum(r["missing"] for r in reports)
    # Does the server keep up? Over capacity, a backlog builds and later messages wait longer.
    by_k = [x for _, x in sorted(s for r in reports for s in r["samples"])]
    tenth = max(1, len(by_k) // 10)
    first, last = sorted(by_k[:tenth]), sorted(by_k[-tenth:])
    result = {
        "rate": rate,
        "sent": sum(r["sent"] for r in reports),
        "received": len(e2e),
        "missing": missing,
        "duplicates": sum(r["duplicates"] for r in reports),
        "send_errors": sum(r["send_errors"] for r in reports),
        "p50_ms": round(percentile(e2e, 50) * 1000, 2),
        "p90_ms": round(percentile(e2e, 90) * 1000, 2),
        "p99_ms": round(percentile(e2e, 99) * 1000, 2),
        "max_ms": round(e2e[-1] * 1000, 2) if e2e else None,
        "ack_p50_ms": round(percentile(acks, 50) * 1000, 2),
        "ack_p99_ms": round(percentile(acks, 99) * 1000, 2),
        "client_send_lag_p99_ms": round(percentile(lags, 99) * 1000, 2),
        "p50_ms_first_tenth": round(percentile(first, 50) * 1000, 2),
        "p50_ms_last_tenth": round(percentile(last, 50) * 1000, 2),
        **before.until(after),
    }
    log(
        f"latency at {rate:g}/s: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms, {missing} missing; p50 of the first/last tenth "
        f"{result['p50_ms_first_tenth']}/{result['p50_ms_last_tenth']} ms; server CPU "
        f"{result['server_cpu_percent']} %, clients {result['client_cpu_percent']} %"
    )
    return result


def phase_catchup(
    server: Server, procs: Sequence[Worker], plan: Plan, world: World
) -> dict[str, Any]:
    assert world.catchup is not None
    sender, receiver, conv = world.catchup
    log(f"catch-up: {plan.catchup_messages:,} messages while the receiver is away")
    with profiled(plan, server, "catchup"):
        procs[0].send(
            (
                "catchup",
                {
                    "sender": sender.token,
                    "receiver": receiver.token,
                    "conversation_id": conv,
                    "messages": plan.catchup_messages,
                    "window": 64,
                    "rereads": plan.catchup_rereads,
                },
            )
        )
        report: dict[str, Any] = procs[0].recv(timeout=plan.catchup_messages / 100 + 120)
    server.check_alive()
    first = report["reads"][0]
    result = {
        "messages": plan.catchup_messages,
        "seconds": first["seconds"],
        "ws_reconnect_s": first["ws_connect_s"],
        "rest_s": first["rest_s"],
        "pages": first["pages"],
        "page_ms_p50": first["page_ms_p50"],
        "page_ms_max": first["page_ms_max"],
        "bytes": first["bytes"],
        "client_cpu_s": first["client_cpu_s"],
        "complete_in_order_no_duplicates": all(r["ok"] for r in report["reads"]),
        "rereads_s": [r["seconds"] for r in report["reads"][1:]],
        "backlog_sent_per_s": report["backlog_sent_per_s"],
        "checks": [r["checks"] for r in report["reads"]],
    }
    log(
        f"catch-up of {plan.catchup_messages:,}: {first['seconds']:.3f} s "
        f"(WebSocket {first['ws_connect_s'] * 1000:.1f} ms, REST {first['rest_s']:.3f} s in "
        f"{first['pages']} pages; client CPU {first['client_cpu_s']:.3f} s); rereads "
        f"{result['rereads_s']}; ok {result['complete_in_order_no_duplicates']}"
    )
    return result


def phase_fanout(
    server: Server, procs: Sequence[Worker], plan: Plan, world: World
) -> dict[str, Any]:
    assert world.group_id is not None
    shares = world.group_sockets(plan.clients)
    early = open_sockets(procs, shares)
    for proc, share in zip(procs, shares, strict=True):
        proc.send(
            (
                "fanout_prepare",
                {
                    "keys": [key for key, _ in share],
                    "owner": "g0",
                    "conversation_id": world.group_id,
                },
            )
        )
    for proc in procs:
        proc.recv(timeout=30)
    warm = 2
    total = warm + plan.fanout_rounds
    log(f"fan-out: {warm} + {plan.fanout_rounds} rounds to {len(world.group)} members")
    rounds: list[dict[str, Any]] = []
    with profiled(plan, server, "fanout"):
        before = CpuMark.now(server, procs)
        for k in range(total):
            for proc in procs:
                proc.send(("fanout_round", {"k": k, "timeout": 30.0}))
            replies = [proc.recv(timeout=60) for proc in procs]
            latencies = sorted(x for r in replies for x in r["latencies"])
            missing = sum(r["missing"] for r in replies)
            acks = [r["ack_s"] for r in replies if r["ack_s"] is not None]
            if missing:
                raise RuntimeError(f"fan-out round {k}: {missing} members did not get it")
            if k >= warm:
                rounds.append(
                    {
                        "all_ms": round(latencies[-1] * 1000, 2),
                        "member_p50_ms": round(percentile(latencies, 50) * 1000, 2),
                        "first_ms": round(latencies[0] * 1000, 2),
                        "ack_ms": round(acks[0] * 1000, 2) if acks else None,
                    }
                )
            time.sleep(0.1)
        after = CpuMark.now(server, procs)
    server.check_alive()
    alls = sorted(r["all_ms"] for r in rounds)
    result = {
        "members": len(world.group),
        "rounds": len(rounds),
        "median_ms": round(statistics.median(alls), 2),
        "max_ms": alls[-1],
        "min_ms": alls[0],
        "member_p50_ms_median": round(statistics.median(r["member_p50_ms"] for r in rounds), 2),
        "rounds_detail": rounds,
        "frames_before_hello": early,
        **before.until(after),
    }
    log(
        f"fan-out to {len(world.group)}: median {result['median_ms']} ms, max "
        f"{result['max_ms']} ms (all members, per round: {alls})"
    )
    return result


# Synapse


def run_synapse(plan: Plan) -> dict[str, Any]:
    """The peer benchmark, run from where it lives, against a Synapse in PEER_DIR."""
    python = PEER_DIR / "venv" / "bin" / "python"
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "PEER_DIR": str(PEER_DIR),
        "PORT": str(port),
        "METRICS_PORT": str(metrics_port),
    }
    work = Path(tempfile.mkdtemp(prefix="synapse-bench-"))
    setup_sh = str(PEER_SRC / "setup.sh")
    n, lat_n = (500, 100) if plan.quick else (SYNAPSE_N, SYNAPSE_LAT_N)
    pid: int | None = None
    try:
        installed = python.exists()
        log(
            "synapse: setup.sh "
            + ("(configuring)" if installed else "(installing: this takes a few minutes)")
        )
        _script(env, work, [setup_sh], timeout=1200)
        _script(env, work, [setup_sh, "start"], timeout=120)
        pid = int((PEER_DIR / "synapse.pid").read_text().strip())
        log(f"synapse pid {pid} up on 127.0.0.1:{port}; bench.py conc (n={n}) + latency")
        out = work / "synapse.json"
        done = subprocess.run(
            [
                str(python),
                str(PEER_SRC / "bench.py"),
                "--hs",
                f"http://127.0.0.1:{port}",
                "--n",
                str(n),
                "--concurrency",
                str(SYNAPSE_CONCURRENCY),
                "--lat-n",
                str(lat_n),
                "--lat-rate",
                str(SYNAPSE_LAT_RATE),
                "--phases",
                "conc,latency",
                "--server-pid",
                str(pid),
                "--metrics-url",
                f"http://127.0.0.1:{metrics_port}/_synapse/metrics",
                "--out",
                str(out),
            ],
            env=env,
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"synapse bench.py failed ({done.returncode}):\n"
                f"{done.stderr.decode(errors='replace')[-3000:]}"
            )
        raw = orjson.loads(out.read_bytes())
        conc, lat = raw["conc"], raw["latency"]
        e2e = lat["end_to_end"]
        result = {
            "msgs_per_s": conc["sends_per_s"],
            "p99_ms": e2e["p99_ms"],
            "p50_ms": e2e["p50_ms"],
            "conc": {k: v for k, v in conc.items() if k != "server_cpu_breakdown_s"},
            "latency": {
                k: v
                for k, v in lat.items()
                if k not in ("samples_t_s_e2e_ms", "server_cpu_breakdown_s")
            },
            "n": n,
            "lat_n": lat_n,
            "version": _synapse_version(python),
        }
        log(
            f"synapse: {conc['sends_per_s']} sends/s (conc {SYNAPSE_CONCURRENCY}), latency at "
            f"{SYNAPSE_LAT_RATE:g}/s p50 {e2e['p50_ms']} ms p99 {e2e['p99_ms']} ms, "
            f"missing {lat['missing']}"
        )
        return result
    finally:
        with contextlib.suppress(Exception):
            _script(env, work, [setup_sh, "stop"], timeout=30)
        if pid is not None:
            _wait_gone(pid)
        shutil.rmtree(work, ignore_errors=True)


def _script(env: Mapping[str, str], cwd: Path, command: list[str], timeout: float) -> None:
    done = subprocess.run(
        command,
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{output[-3000:]}")


def _wait_gone(pid: int) -> None:
    """Wait for the Synapse we started to exit; kill it if it lingers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return
        time.sleep(0.2)
    log(f"synapse pid {pid} did not stop in 30 s; killing it")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].startswith("Z")


def _synapse_version(python: Path) -> str | None:
    done = subprocess.run(
        [str(python), "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.stdout.decode().strip() or None


# The result


def _target(value: float | None, limit: float, at_least: bool) -> dict[str, Any]:
    met = value is not None and (value >= limit if at_least else value <= limit)
    return {"value": value, "target": f"{'>=' if at_least else '<='} {limit:g}", "met": met}


def summarize(
    plan: Plan,
    phases: dict[str, Any],
    synapse: dict[str, Any] | None,
    setup_info: dict[str, Any],
    server_rss_mib: float,
) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "chat", "quick": plan.quick}
    targets: dict[str, Any] = {}
    throughput = phases.get("throughput")
    if throughput is not None:
        result["msgs_per_s"] = throughput["msgs_per_s"]
        result["sent_per_s"] = throughput["sent_acked_per_s"]
        result["delivered_per_s"] = throughput["delivered_per_s"]
        result["exactly_once"] = throughput["exactly_once"]
        rate = throughput["msgs_per_s"] if throughput["exactly_once"] else None
        targets["msgs_per_s"] = _target(rate, TARGET_MSGS_PER_S, at_least=True)
    latency = phases.get("latency", {})
    for rate_key, phase in latency.items():
        result[f"p50_ms_{rate_key}"] = phase["p50_ms"]
        result[f"p99_ms_{rate_key}"] = phase["p99_ms"]
        limit = {"100": TARGET_P99_MS_100, "1000": TARGET_P99_MS_1000}.get(rate_key)
        if limit is not None:
            value = phase["p99_ms"] if phase["missing"] == 0 else None
            targets[f"p99_ms_{rate_key}"] = _target(value, limit, at_least=False)
    catchup = phases.get("catchup")
    if catchup is not None:
        result["catchup_10k_s"] = round(catchup["seconds"], 4)
        value = catchup["seconds"] if catchup["complete_in_order_no_duplicates"] else None
        targets["catchup_10k_s"] = _target(value, TARGET_CATCHUP_S, at_least=False)
    fanout = phases.get("fanout")
    if fanout is not None:
        result["fanout_500_ms"] = fanout["median_ms"]
        result["fanout_500_max_ms"] = fanout["max_ms"]
        targets["fanout_500_ms"] = _target(fanout["median_ms"], TARGET_FANOUT_MS, at_least=False)
    if synapse is not None:
        result["synapse_msgs_per_s"] = synapse["msgs_per_s"]
        result["synapse_p99_ms"] = synapse["p99_ms"]
        ratio_rate = ratio_p99 = None
        if "msgs_per_s" in result and synapse["msgs_per_s"]:
            ratio_rate = round(result["msgs_per_s"] / synapse["msgs_per_s"], 2)
        if "p99_ms_100" in result and synapse["p99_ms"]:
            ratio_p99 = round(result["p99_ms_100"] / synapse["p99_ms"], 3)
        result["ratio_rate"] = ratio_rate
        result["ratio_p99"] = ratio_p99
        targets["ratio_rate"] = _target(ratio_rate, TARGET_RATIO_RATE, at_least=True)
        targets["ratio_p99"] = _target(ratio_p99, TARGET_RATIO_P99, at_least=False)
    result["targets"] = targets
    result["all_met"] = all(t["met"] for t in targets.values())
    result["phases"] = phases
    if synapse is not None:
        result["synapse"] = synapse
    result["server_rss_mib_at_end"] = round(server_rss_mib, 1)
    result["setup"] = {
        **setup_info,
        "server_env": plan.server_env,
        "note": "argon2 cost and the friend-request rate limit lowered only to make the setup "
        "fast; they do not touch the measured paths",
        "client_processes": plan.clients,
        "sizes": {
            "pairs": plan.pairs,
            "send_window": plan.window,
            "warmup_s": plan.warmup,
            "duration_s": plan.duration,
            "latency_rates": list(plan.rates),
            "latency_duration_s": plan.latency_duration,
            "catchup_messages": plan.catchup_messages,
            "group_members": plan.group_members,
            "fanout_rounds": plan.fanout_rounds,
        },
    }
    result["machine"] = machine()
    verdicts = ", ".join(
        f"{name} {t['value']} ({t['target']}: {'met' if t['met'] else 'NOT met'})"
        for name, t in targets.items()
    )
    log(f"targets: {verdicts}")
    return result


# The client processes


FrameHandler = Callable[["Ws", dict[str, Any], float], None]


def _ignore(ws: Ws, message: dict[str, Any], now: float) -> None:
    ws.other_frames += 1


def handshake_request(host: str, port: int, token: str) -> tuple[bytes, bytes]:
    key = base64.b64encode(os.urandom(16))
    accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())  # noqa: S324 (RFC 6455)
    request = (
        f"GET /api/quanzi/v1/stream?access_token={token} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    return request, accept


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 5.3); the XOR runs on one big integer."""
    n = len(payload)
    mask = random.randbytes(4)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    if not n:
        return head + mask
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
    return head + mask + (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")


class Ws(asyncio.Protocol):
    """One client WebSocket: upgrade, "hello", then every text frame to `on_frame` with the time
    its bytes arrived (time.monotonic(), comparable across processes)."""

    def __init__(self, key: str, request: bytes, accept: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.key = key
        self.request = request
        self.accept = accept
        self.hello: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.gone: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.closing = False
        self.close_code: int | None = None
        self.on_frame: FrameHandler = _ignore
        self.other_frames = 0
        self.before_hello = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            del buffer[: end + 4]
            if not head.startswith(b"http/1.1 101") or self.accept.lower() not in head:
                self._fail(f"upgrade refused: {head[:300]!r}")
                return
            self.upgraded = True
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            length = buffer[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                (length,) = struct.unpack_from("!H", buffer, pos + 2)
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buffer, pos + 2)
                start = pos + 10
            end = start + length
            if end > size:
                break
            first = buffer[pos]
            payload = bytes(buffer[start:end])
            pos = end
            if not first & 0x80:
                self._fail("fragmented frames are not expected from this server")
                return
            self._frame(first & 0x0F, payload, now)
        if pos:
            del buffer[:pos]

    def _frame(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == OP_TEXT:
            message = orjson.loads(payload)
            if not self.hello.done():
                # docs/api.md: "hello" comes first, but a friend's "presence" event can slip in
                # before it (the server attaches the socket, then awaits presence, then pushes
                # "hello"); count those and go on
                if message.get("type") == "hello":
                    self.hello.set_result(message["payload"])
                else:
                    self.before_hello += 1
                return
            self.on_frame(self, message, now)
        elif opcode == OP_PING:
            self.write(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            if len(payload) >= 2:
                self.close_code = int.from_bytes(payload[:2], "big")
            if not self.closing:
                self.closing = True
                self.write(OP_CLOSE, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def write(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    def send_json(self, message: Mapping[str, Any]) -> None:
        self.write(OP_TEXT, orjson.dumps(message))

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.upgraded and not self.closing:
            self.closing = True
            self.write(OP_CLOSE, struct.pack("!H", 1000))
        else:
            self.transport.close()

    def _fail(self, why: str) -> None:
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost before hello: {exc}")
        if not self.gone.done():
            self.gone.set_result(None)


class HttpClient:
    """A keep-alive HTTP/1.1 GET client with a bearer token (for the REST catch-up)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: application/json\r\n\r\n".encode()
        )
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"no content-length in {head[:300]!r}")
        stop = head.find(b"\r\n", at + 2)
        body = await self.reader.readexactly(int(head[at + 17 : stop]))
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


class Pair:
    """One sender and its receiver in the throughput phase."""

    __slots__ = (
        "acked",
        "conv",
        "delivered",
        "duplicates",
        "echoes",
        "errors",
        "foreign",
        "index",
        "last_seq",
        "next_i",
        "out_of_order",
        "receiver",
        "sender",
        "sent_at",
        "unknown_acks",
    )

    def __init__(self, index: int, sender: Ws, receiver: Ws, conv: str) -> None:
        self.index = index
        self.sender = sender
        self.receiver = receiver
        self.conv = conv
        self.next_i = 0
        self.sent_at: dict[str, float] = {}  # in flight: client_msg_id -> when sent
        self.acked: dict[str, int] = {}  # client_msg_id -> seq
        self.errors: dict[str, int] = {}
        self.delivered: set[str] = set()
        self.duplicates = 0
        self.out_of_order = 0
        self.last_seq = -1
        self.foreign = 0
        self.echoes = 0
        self.unknown_acks = 0

    def send_next(self) -> None:
        cmid = f"t{self.index}.{self.next_i}"
        self.next_i += 1
        self.sent_at[cmid] = time.monotonic()
        self.sender.send_json(
            {
                "type": "message.send",
                "conversation_id": self.conv,
                "client_msg_id": cmid,
                "text": f"throughput message {cmid} of the chat benchmark",
            }
        )

    def settled(self) -> bool:
        return not self.sent_at and len(self.delivered) >= len(self.acked)


@dataclass
class Window:
    t_measure: float
    t_end: float
    acked: int = 0
    delivered: int = 0


class Client:
    """What one client process holds: its sockets, by key."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config["host"]
        self.port: int = config["port"]
        self.conns: dict[str, Ws] = {}
        self.fan_arrivals: dict[int, dict[str, float]] = {}
        self.fan_acks: dict[int, float] = {}
        self.fan_sent: dict[int, float] = {}
        self.fan_keys: list[str] = []
        self.fan_owner: str | None = None
        self.fan_conv = ""
        self.fan_waiting: tuple[int, asyncio.Future[None]] | None = None
        self.fan_ack_waiting: tuple[int, asyncio.Future[None]] | None = None

    async def connect(self, key: str, token: str) -> Ws:
        request, accept = handshake_request(self.host, self.port, token)
        loop = asyncio.get_running_loop()
        _, ws = await loop.create_connection(lambda: Ws(key, request, accept), self.host, self.port)
        await asyncio.wait_for(ws.hello, timeout=60)
        return ws

    async def cmd_open(self, arg: dict[str, Any]) -> dict[str, Any]:
        gate = asyncio.Semaphore(int(arg["in_flight"]))
        failures: list[str] = []

        async def one(key: str, token: str) -> None:
            async with gate:
                try:
                    self.conns[key] = await self.connect(key, token)
                except (OSError, ConnectionError, TimeoutError) as exc:
                    failures.append(f"{key}: {exc.__class__.__name__}: {exc}")

        await asyncio.gather(*(one(key, token) for key, token in arg["conns"]))
        if failures:
            raise RuntimeError(f"{len(failures)} connections failed: {failures[:3]}")
        early = sum(self.conns[key].before_hello for key, _ in arg["conns"])
        return {"opened": len(arg["conns"]), "frames_before_hello": early}

    async def cmd_close(self, arg: Any) -> dict[str, Any]:
        conns = list(self.conns.values())
        for ws in conns:
            ws.close()
        if conns:
            await asyncio.wait([ws.gone for ws in conns], timeout=30)
        self.conns.clear()
        return {"closed": len(conns)}

    async def cmd_throughput(self, arg: dict[str, Any]) -> dict[str, Any]:
        pairs = [Pair(i, self.conns[s], self.conns[r], conv) for i, s, r, conv in arg["pairs"]]
        window = Window(float(arg["t_measure"]), float(arg["t_end"]))
        ack_latencies: list[float] = []
        for pair in pairs:
            pair.sender.on_frame = _throughput_sender(pair, window, ack_latencies)
            pair.receiver.on_frame = _throughput_receiver(pair, window)
        await _sleep_until(float(arg["t_start"]))
        for pair in pairs:
            for _ in range(int(arg["window"])):
                pair.send_next()
        await _sleep_until(window.t_end)
        drain_start = time.monotonic()
        deadline = drain_start + float(arg["drain_timeout"])
        while time.monotonic() < deadline and not all(p.settled() for p in pairs):
            if any(p.sender.gone.done() or p.receiver.gone.done() for p in pairs):
                break
            await asyncio.sleep(0.02)
        drain_s = time.monotonic() - drain_start
        for pair in pairs:
            pair.sender.on_frame = pair.receiver.on_frame = _ignore
        lost = unexpected = 0
        for pair in pairs:
            acked = set(pair.acked)
            lost += len(acked - pair.delivered)
            unexpected += len(pair.delivered - acked)
        closed = sum(p.sender.gone.done() + p.receiver.gone.done() for p in pairs)
        return {
            "acked_in_window": window.acked,
            "delivered_in_window": window.delivered,
            "ack_latencies": ack_latencies,
            "sent": sum(p.next_i for p in pairs),
            "acked": sum(len(p.acked) for p in pairs),
            "delivered": sum(len(p.delivered) for p in pairs),
            "lost": lost,
            "unexpected": unexpected,
            "duplicates": sum(p.duplicates for p in pairs),
            "unacked": sum(len(p.sent_at) for p in pairs),
            "out_of_order": sum(p.out_of_order for p in pairs),
            "send_errors": sum(sum(p.errors.values()) for p in pairs),
            "error_codes": sorted({code for p in pairs for code in p.errors}),
            "sender_echoes": sum(p.echoes for p in pairs),
            "closed_sockets": closed,
            "close_codes": sorted(
                {
                    ws.close_code
                    for p in pairs
                    for ws in (p.sender, p.receiver)
                    if ws.close_code is not None
                }
            ),
            "drain_s": drain_s,
        }

    async def cmd_latency(self, arg: dict[str, Any]) -> dict[str, Any]:
        pairs = [(self.conns[s], self.conns[r], conv) for _, s, r, conv in arg["pairs"]]
        rate, count = float(arg["rate"]), int(arg["count"])
        t_start = float(arg["t_start"])
        mine = range(int(arg["slot"]), count, int(arg["slots"]))
        prefix = f"lat{arg['tag']} "
        sent: dict[int, float] = {}
        latencies: dict[int, float] = {}
        acks: list[float] = []
        lags: list[float] = []
        tally = {"duplicates": 0, "errors": 0}
        everything: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_receiver(ws: Ws, message: dict[str, Any], now: float) -> None:
            if message.get("type") != "message.new":
                ws.other_frames += 1
                return
            text: str = message["payload"].get("text") or ""
            if not text.startswith(prefix):
                return
            k_text, t_text = text[len(prefix) :].split(" ")
            k = int(k_text)
            if k in latencies:
                tally["duplicates"] += 1
                return
            latencies[k] = now - float(t_text)
            if len(latencies) >= len(mine) and not everything.done():
                everything.set_result(None)

        def on_sender(ws: Ws, message: dict[str, Any], now: float) -> None:
            kind = message.get("type")
            if kind == "message.ack":
                cmid: str = message["payload"]["client_msg_id"]
                k = int(cmid.rpartition(".")[2])
                if k in sent:
                    acks.append(now - sent[k])
            elif kind == "message.error":
                tally["errors"] += 1
            elif kind != "message.new":
                ws.other_frames += 1

        for sender, receiver, _ in pairs:
            sender.on_frame = on_sender
            receiver.on_frame = on_receiver
        for j, k in enumerate(mine):
            when = t_start + k / rate
            delay = when - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sender, _, conv = pairs[j % len(pairs)]
            now = time.monotonic()
            lags.append(now - when)
            sent[k] = now
            sender.send_json(
                {
                    "type": "message.send",
                    "conversation_id": conv,
                    "client_msg_id": f"l{arg['tag']}.{k}",
                    "text": f"{prefix}{k} {now!r}",
                }
            )
        if len(mine):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(everything), timeout=float(arg["timeout"]))
        for sender, receiver, _ in pairs:
            sender.on_frame = receiver.on_frame = _ignore
        return {
            "samples": [(k, latencies[k]) for k in mine if k in latencies],
            "sent": len(sent),
            "missing": len(mine) - len(latencies),
            "duplicates": tally["duplicates"],
            "send_errors": tally["errors"],
            "ack_latencies": acks,
            "lags": lags,
        }

    async def send_many(
        self, ws: Ws, conv: str, prefix: str, n: int, window: int
    ) -> dict[str, int]:
        """n sends from one socket with `window` in flight; client_msg_id -> seq once all are
        acknowledged."""
        acked: dict[str, int] = {}
        errors: list[str] = []
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        counter = [0]

        def send_one() -> None:
            i = counter[0]
            counter[0] += 1
            ws.send_json(
                {
                    "type": "message.send",
                    "conversation_id": conv,
                    "client_msg_id": f"{prefix}.{i}",
                    "text": f"backlog message {i} of the chat benchmark",
                }
            )

        def handle(ws_: Ws, message: dict[str, Any], now: float) -> None:
            kind = message.get("type")
            if kind == "message.ack":
                payload = message["payload"]
                acked[payload["client_msg_id"]] = int(payload["message"]["seq"])
            elif kind == "message.error":
                errors.append(str(message["payload"]))
            else:
                return
            if counter[0] < n:
                send_one()
            elif len(acked) + len(errors) >= n and not done.done():
                done.set_result(None)

        ws.on_frame = handle
        try:
            for _ in range(min(window, n)):
                send_one()
            await asyncio.wait_for(done, timeout=60 + n / 50)
        finally:
            ws.on_frame = _ignore
        if errors:
            raise RuntimeError(f"{len(errors)} sends refused: {errors[:3]}")
        return acked

    async def cmd_catchup(self, arg: dict[str, Any]) -> dict[str, Any]:
        conv, n = str(arg["conversation_id"]), int(arg["messages"])
        sender = await self.connect("catchup_s", arg["sender"])
        receiver = await self.connect("catchup_r", arg["receiver"])
        seen: list[int] = []
        primes = 10
        all_seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def live(ws: Ws, message: dict[str, Any], now: float) -> None:
            if message.get("type") == "message.new":
                seen.append(int(message["payload"]["seq"]))
                if len(seen) >= primes and not all_seen.done():
                    all_seen.set_result(None)

        receiver.on_frame = live
        await self.send_many(sender, conv, "prime", primes, primes)
        try:
            await asyncio.wait_for(all_seen, timeout=10)
        except TimeoutError:
            raise RuntimeError(f"the receiver saw {len(seen)} of {primes} live messages") from None
        last_seen = max(seen)
        receiver.close()
        await asyncio.wait_for(receiver.gone, timeout=10)
        t0 = time.monotonic()
        backlog = await self.send_many(sender, conv, "away", n, int(arg["window"]))
        sent_s = time.monotonic() - t0
        expected = [cmid for cmid, _ in sorted(backlog.items(), key=lambda item: item[1])]
        sender.close()
        await asyncio.sleep(1.0)  # let the server settle after the burst
        reads = []
        for _ in range(1 + int(arg["rereads"])):
            reads.append(await self.catch_up(arg["receiver"], conv, last_seen, expected))
            await asyncio.sleep(0.5)
        return {"reads": reads, "backlog_sent_per_s": round(n / sent_s, 1)}

    async def catch_up(
        self, token: str, conv: str, after: int, expected: list[str]
    ) -> dict[str, Any]:
        cpu0 = time.process_time()
        t0 = time.monotonic()
        ws = await self.connect("catchup_r", token)
        t_ws = time.monotonic()
        http = HttpClient(self.host, self.port, token)
        await http.open()
        seqs: list[int] = []
        cmids: list[str] = []
        page_s: list[float] = []
        size = 0
        cursor = after
        try:
            while len(seqs) < len(expected):
                tp = time.monotonic()
                status, body = await http.get(
                    f"/api/quanzi/v1/conversations/{conv}/messages?after_seq={cursor}&limit={PAGE}"
                )
                if status != 200:
                    raise RuntimeError(f"catch-up page answered {status}: {body[:300]!r}")
                items = orjson.loads(body)["items"]
                page_s.append(time.monotonic() - tp)
                size += len(body)
                if not items:
                    break
                for item in items:
                    seqs.append(int(item["seq"]))
                    cmids.append(item["client_msg_id"])
                cursor = seqs[-1]
            t1 = time.monotonic()
            cpu1 = time.process_time()
        finally:
            await http.close()
            ws.close()
        checks = {
            "received": len(seqs),
            "expected": len(expected),
            "ascending": all(a < b for a, b in itertools.pairwise(seqs)),
            "contiguous": seqs == list(range(after + 1, after + 1 + len(seqs))),
            "duplicates": len(seqs) - len(set(seqs)),
            "same_as_sent": cmids == expected,
        }
        ok = (
            checks["received"] == len(expected)
            and bool(checks["ascending"])
            and bool(checks["contiguous"])
            and checks["duplicates"] == 0
            and bool(checks["same_as_sent"])
        )
        pages_ms = sorted(x * 1000 for x in page_s)
        return {
            "seconds": round(t1 - t0, 4),
            "ws_connect_s": round(t_ws - t0, 4),
            "rest_s": round(t1 - t_ws, 4),
            "pages": len(page_s),
            "page_ms_p50": round(percentile(pages_ms, 50), 2),
            "page_ms_max": round(pages_ms[-1], 2) if pages_ms else None,
            "bytes": size,
            "client_cpu_s": round(cpu1 - cpu0, 4),
            "checks": checks,
            "ok": ok,
        }

    async def cmd_fanout_prepare(self, arg: dict[str, Any]) -> dict[str, Any]:
        self.fan_keys = list(arg["keys"])
        self.fan_conv = str(arg["conversation_id"])
        self.fan_owner = arg["owner"] if arg["owner"] in self.fan_keys else None
        for key in self.fan_keys:
            self.conns[key].on_frame = self._fan_frame
        return {"watching": len(self.fan_keys)}

    def _fan_frame(self, ws: Ws, message: dict[str, Any], now: float) -> None:
        kind = message.get("type")
        if kind == "message.new":
            payload = message["payload"]
            text: str = payload.get("text") or ""
            if payload.get("conversation_id") != self.fan_conv or not text.startswith("fan "):
                return
            _, k_text, t_text = text.split(" ")
            k = int(k_text)
            arrivals = self.fan_arrivals.setdefault(k, {})
            arrivals.setdefault(ws.key, now - float(t_text))
            waiting = self.fan_waiting
            if (
                waiting is not None
                and waiting[0] == k
                and len(arrivals) >= len(self.fan_keys)
                and not waiting[1].done()
            ):
                waiting[1].set_result(None)
        elif kind == "message.ack":
            k = int(str(message["payload"]["client_msg_id"]).rpartition(".")[2])
            if k in self.fan_sent:
                self.fan_acks[k] = now - self.fan_sent[k]
            acked = self.fan_ack_waiting
            if acked is not None and acked[0] == k and not acked[1].done():
                acked[1].set_result(None)
        else:
            ws.other_frames += 1

    async def cmd_fanout_round(self, arg: dict[str, Any]) -> dict[str, Any]:
        k = int(arg["k"])
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        ack: asyncio.Future[None] = loop.create_future()
        self.fan_waiting = (k, done)
        self.fan_ack_waiting = (k, ack)
        if self.fan_owner is not None:
            now = time.monotonic()
            self.fan_sent[k] = now
            self.conns[self.fan_owner].send_json(
                {
                    "type": "message.send",
                    "conversation_id": self.fan_conv,
                    "client_msg_id": f"fan.{k}",
                    "text": f"fan {k} {now!r}",
                }
            )
        if len(self.fan_arrivals.get(k, {})) >= len(self.fan_keys):
            done.set_result(None)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, timeout=float(arg["timeout"]))
        self.fan_waiting = None
        if self.fan_owner is not None and k not in self.fan_acks:
            # the ack may come after the last member's message.new
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ack, timeout=5)
        self.fan_ack_waiting = None
        arrivals = self.fan_arrivals.pop(k, {})
        return {
            "k": k,
            "latencies": list(arrivals.values()),
            "missing": len(self.fan_keys) - len(arrivals),
            "ack_s": self.fan_acks.get(k),
        }


def _throughput_sender(pair: Pair, window: Window, ack_latencies: list[float]) -> FrameHandler:
    def handle(ws: Ws, message: dict[str, Any], now: float) -> None:
        kind = message.get("type")
        if kind == "message.ack":
            payload = message["payload"]
            cmid: str = payload["client_msg_id"]
            sent = pair.sent_at.pop(cmid, None)
            if sent is None:
                pair.unknown_acks += 1
                return
            pair.acked[cmid] = int(payload["message"]["seq"])
            if window.t_measure <= now < window.t_end:
                window.acked += 1
                ack_latencies.append(now - sent)
            if now < window.t_end:
                pair.send_next()
        elif kind == "message.error":
            payload = message["payload"]
            pair.sent_at.pop(str(payload.get("client_msg_id")), None)
            code = str(payload.get("code"))
            pair.errors[code] = pair.errors.get(code, 0) + 1
            if now < window.t_end:
                pair.send_next()
        elif kind == "message.new":
            pair.echoes += 1
        else:
            ws.other_frames += 1

    return handle


def _throughput_receiver(pair: Pair, window: Window) -> FrameHandler:
    def handle(ws: Ws, message: dict[str, Any], now: float) -> None:
        if message.get("type") != "message.new":
            ws.other_frames += 1
            return
        payload = message["payload"]
        if payload.get("conversation_id") != pair.conv:
            pair.foreign += 1
            return
        cmid: str = payload.get("client_msg_id") or ""
        if cmid in pair.delivered:
            pair.duplicates += 1
            return
        pair.delivered.add(cmid)
        seq = int(payload["seq"])
        if seq <= pair.last_seq:
            pair.out_of_order += 1
        else:
            pair.last_seq = seq
        if window.t_measure <= now < window.t_end:
            window.delivered += 1

    return handle


async def _sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def client_main(config: dict[str, Any], pipe: Connection) -> None:
    run_client(_client(config, pipe), pipe)


async def _client(config: dict[str, Any], pipe: Connection) -> None:
    from bench.common import recv_async

    client = Client(config)
    commands: dict[str, Callable[[Any], Any]] = {
        "open": client.cmd_open,
        "close": client.cmd_close,
        "throughput": client.cmd_throughput,
        "latency": client.cmd_latency,
        "catchup": client.cmd_catchup,
        "fanout_prepare": client.cmd_fanout_prepare,
        "fanout_round": client.cmd_fanout_round,
    }
    pipe.send("started")
    while True:
        name, arg = await recv_async(pipe)
        if name == "stop":
            return
        pipe.send(await commands[name](arg))
