"""A Mastodon client's workload through the Mastodon-compatible API, against one server process.

Setup: accounts that log in as a Mastodon app does (POST /api/v1/apps, then the password grant
at /oauth/token), follow one another and post, in Chinese and English, with #topics#.
Then, from a load generator in a separate process (bench/httpload.py):
- post: POST /api/v1/statuses, closed loop (`--concurrency` in flight): statuses created per
  second, p50 and p99;
- home: GET /api/v1/timelines/home as each account in turn, an open loop at `--home-rate`
  requests/s (as the timeline benchmark reads the native home): p50 and p99;
- calls: an open loop at `--rate` requests/s mixing the calls a client makes while someone reads:
  GET /api/v1/timelines/home, POST /api/v1/statuses/:id/favourite, POST /api/v1/statuses/:id/
  reblog (each pair once: reblogging twice is a no-op), GET /api/v1/notifications: p50 and p99
  per call (the latency counts from when a request was due, so stalls cannot hide).
Targets on one process with SQLite: status creation >= 500/s, home timeline p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

from bench.common import (
    PASSWORD,
    Server,
    cpu_seconds,
    env_overrides,
    http_json,
    log,
    machine,
    quanzi_server,
    register_user,
    workers,
)
from bench.httpload import client_main, get_request, machine_during, measure, summarize

TARGET_POST_PER_S = 500.0
TARGET_HOME_P99_MS = 20.0
SCOPES = "read write follow"
# Setup only: accounts are made with cheap password hashing (the measured calls never hash).
SERVER_ENV = {
    "QUANZI_ARGON2_TIME_COST": "1",
    "QUANZI_ARGON2_MEMORY_KIB": "8192",
    "QUANZI_RATE_MASTODON_ACCOUNT": "100000000/5 minutes",
}
WORDS_ZH = ["今天", "天气", "很好", "我们", "一起", "去", "公园", "散步", "喝茶", "看书"]
WORDS_EN = ["today", "the", "weather", "is", "fine", "let's", "walk", "in", "the", "park"]
TOPICS = ["#周末#", "#python", "#读书#", "#travel"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=None, help="accounts (60; quick: 20)")
    parser.add_argument("--follows", type=int, default=None, help="follows each (20; quick: 8)")
    parser.add_argument(
        "--posts", type=int, default=None, help="posts each to start (30; quick: 10)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="posts in flight")
    parser.add_argument("--home-rate", type=float, default=50.0, help="home reads/s")
    parser.add_argument("--rate", type=float, default=40.0, help="calls/s in the mixed phase")
    parser.add_argument("--duration", type=float, default=None, help="seconds (15; quick: 4)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds (3; quick: 1)")


def _pick(value: Any, full: Any, quick: Any, is_quick: bool) -> Any:
    return value if value is not None else (quick if is_quick else full)


def limit_seconds(args: argparse.Namespace) -> float:
    duration = float(_pick(args.duration, 15.0, 4.0, args.quick))
    return 600.0 + 2 * (duration + 30.0)


def text(rng: random.Random, i: int) -> str:
    words = WORDS_ZH if i % 2 else WORDS_EN
    body = (" " if words is WORDS_EN else "").join(rng.choice(words) for _ in range(12))
    return f"{body} {rng.choice(TOPICS)} {i}"


def request(server: Server, method: str, path: str, token: str, body: Any = None) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def _ok(status: int, data: Any, what: str) -> Any:
    if status != 200:
        raise RuntimeError(f"{what} answered {status}: {data}")
    return data


def set_up(
    server: Server, accounts: int, follows: int, posts: int, rng: random.Random
) -> tuple[list[tuple[str, str]], list[str]]:
    """Accounts with Mastodon tokens, [(account id, token)], and the ids of their posts."""
    log(f"mastodon: {accounts} accounts log in through OAuth, follow {follows} each")
    app = _ok(
        *http_json(
            server,
            "POST",
            "/api/v1/apps",
            {
                "client_name": "bench",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": SCOPES,
            },
        ),
        "creating the app",
    )
    people: list[tuple[str, str]] = []
    for n in range(accounts):
        handle = f"masto{n}"
        register_user(server, handle)
        grant = {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": handle,
            "password": PASSWORD,
            "scope": SCOPES,
        }
        token = _ok(*http_json(server, "POST", "/oauth/token", grant), "the password grant")
        me = _ok(
            *http_json(
                server, "GET", "/api/v1/accounts/verify_credentials", token=token["access_token"]
            ),
            "verify_credentials",
        )
        people.append((me["id"], token["access_token"]))
    for me, token in people:
        for other, _ in rng.sample([p for p in people if p[0] != me], follows):
            _ok(
                *http_json(server, "POST", f"/api/v1/accounts/{other}/follow", {}, token),
                "follow",
            )
    log(f"mastodon: {accounts} x {posts} posts to start with")
    ids: list[str] = []
    for i in range(posts):
        for _, token in people:
            status = _ok(
                *http_json(server, "POST", "/api/v1/statuses", {"status": text(rng, i)}, token),
                "posting",
            )
            ids.append(status["id"])
    return people, ids


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = bool(args.quick)
    accounts = int(_pick(args.accounts, 60, 20, quick))
    follows = min(int(_pick(args.follows, 20, 8, quick)), accounts - 1)
    posts = int(_pick(args.posts, 30, 10, quick))
    duration = float(_pick(args.duration, 15.0, 4.0, quick))
    warmup = float(_pick(args.warmup, 3.0, 1.0, quick))
    rng = random.Random(7)
    env = SERVER_ENV | env_overrides(args.server_env)
    with quanzi_server(env) as server:
        people, ids = set_up(server, accounts, follows, posts, rng)
        config = {"host": server.host, "port": server.port, "server_pid": server.pid}
        with workers(client_main, [config], "mastodon-client") as [client]:
            client.recv(timeout=60)  # started
            post = phase_post(server, client, people, rng, args.concurrency, warmup, duration)
            home = phase_home(server, client, people, args.home_rate, warmup, duration)
            calls = phase_calls(server, client, people, ids, rng, args.rate, warmup, duration)
        server.check_alive()
        rss_mib = round(server.rss_kib() / 1024, 1)
        server_cpu = round(cpu_seconds(server.pid), 1)
    result: dict[str, Any] = {
        "benchmark": "mastodon",
        "quick": quick,
        "post_per_s": post["rps"],
        "post_p50_ms": post["p50_ms"],
        "post_p99_ms": post["p99_ms"],
        "home_p50_ms": home["p50_ms"],
        "home_p99_ms": home["p99_ms"],
        "home": home,
        "calls": calls,
        "post": post,
        "accounts": accounts,
        "follows_each": follows,
        "posts_at_start": len(ids),
        "server_rss_mib": rss_mib,
        "server_cpu_s": server_cpu,
    }
    result["target"] = {
        "post_per_s": TARGET_POST_PER_S,
        "home_p99_ms": TARGET_HOME_P99_MS,
        "met": post["rps"] >= TARGET_POST_PER_S and home["p99_ms"] <= TARGET_HOME_P99_MS,
    }
    result["machine"] = machine()
    log(
        f"mastodon: {post['rps']:,} statuses/s (p99 {post['p99_ms']} ms); home p50 "
        f"{home['p50_ms']} ms, p99 {home['p99_ms']} ms"
    )
    return result


def phase_post(
    server: Server,
    client: Any,
    people: list[tuple[str, str]],
    rng: random.Random,
    concurrency: int,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    log(f"post: POST /api/v1/statuses, {concurrency} in flight, {warmup:g} s + {duration:g} s")
    requests = [
        (
            "post",
            "post",
            request(server, "POST", "/api/v1/statuses", token, {"status": text(rng, i)}),
        )
        for i in range(2000)
        for _, token in [people[i % len(people)]]
    ]
    report = measure(
        client, requests, count_key="", warmup=warmup, duration=duration, connections=concurrency
    )
    row = summarize("post", report["tags"]["post"], report["window_s"]) | machine_during(report)
    log(f"post: {row['rps']:,} statuses/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms")
    return row


def phase_home(
    server: Server,
    client: Any,
    people: list[tuple[str, str]],
    rate: float,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    log(f"home: GET /api/v1/timelines/home at {rate:g}/s, {warmup:g} s + {duration:g} s")
    path = "/api/v1/timelines/home"
    requests = [("home", "home", get_request(server.host, server.port, path, t)) for _, t in people]
    report = measure(
        client, requests, count_key="", warmup=warmup, duration=duration, rate=rate, seed=2
    )
    row = summarize("home", report["tags"]["home"], report["window_s"]) | machine_during(report)
    log(f"home: p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, {row['mean_items']} per page")
    return row


def phase_calls(
    server: Server,
    client: Any,
    people: list[tuple[str, str]],
    ids: list[str],
    rng: random.Random,
    rate: float,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    """Home, favourite, reblog and notifications, a quarter each, at `rate` calls/s."""
    log(f"calls: home, favourite, reblog, notifications at {rate:g}/s, {warmup:g} + {duration:g} s")
    needed = int(rate * (warmup + duration + 5)) // 4 + 1
    pairs = rng.sample([(p, s) for p in range(len(people)) for s in range(len(ids))], 2 * needed)
    requests = []
    for n in range(needed):
        _, token = people[n % len(people)]
        who, which = pairs[n]
        liker, status_id = people[who][1], ids[which]
        booster, boosted = people[pairs[needed + n][0]][1], ids[pairs[needed + n][1]]
        requests += [
            (
                "home",
                "home",
                get_request(server.host, server.port, "/api/v1/timelines/home", token),
            ),
            (
                "favourite",
                "favourite",
                request(server, "POST", f"/api/v1/statuses/{status_id}/favourite", liker, {}),
            ),
            (
                "reblog",
                "reblog",
                request(server, "POST", f"/api/v1/statuses/{boosted}/reblog", booster, {}),
            ),
            (
                "notifications",
                "notifications",
                get_request(server.host, server.port, "/api/v1/notifications", token),
            ),
        ]
    report = measure(
        client, requests, count_key="", warmup=warmup, duration=duration, rate=rate, seed=3
    )
    out = {}
    for name in ("home", "favourite", "reblog", "notifications"):
        row = summarize(name, report["tags"][name], report["window_s"])
        out[name] = row
        log(f"{name}: p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms ({row['requests']} calls)")
    out["machine"] = machine_during(report)
    return out
