"""Full-text search of posts, Chinese and English, over the 1,000,000 posts of the world
(bench/world.py), against one server process on the embedded default (SQLite).

GET /api/quanzi/v1/search?q=...&type=posts (the first 20 results) as the active accounts in turn,
half of them with one of 10 Chinese queries and half with one of 10 English ones (below: one
and two words, the commonest words of the world first), from one client process:

1. latency: open loop at 20 requests/s (each request due at its time whatever happened to the
   others, latency counted from then), 5 s warm-up + 30 s measured (quick 2 + 5);
   `zh_p50_ms`, `zh_p99_ms`, `en_p50_ms`, `en_p99_ms`. Target: p99 <= 50 ms in each language.
2. capacity: closed loop with 8 requests in flight, same durations; `rps` and the latencies
   at that load (`zh_closed_p99_ms`, ...), which are mostly queueing on one process.

Every answer must be 200 and every query must find posts; per query, the mean latency, the
number of results and the number of posts it matches are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import urllib.parse
from typing import Any

from bench import world as worlds
from bench.common import (
    cpu_seconds,
    env_overrides,
    log,
    machine,
    quanzi_server,
    workers,
)
from bench.httpload import client_main, get_request, machine_during, measure, summarize

TARGET_P99_MS = 50.0
QUERIES = {
    # the commonest content words of the world first (朋友 is in 8% of the Chinese posts,
    # "friends" in 6% of the English ones), then less common words and two-word queries
    "zh": (
        "朋友",
        "天气",
        "咖啡",
        "中国",
        "微信",
        "火锅",
        "朋友 天气",
        "微信 红包",
        "上海 地铁",
        "电影 推荐",
    ),
    "en": (
        "friends",
        "coffee",
        "weather",
        "python",
        "sunset",
        "dinner",
        "coffee friends",
        "sunset beach",
        "python code",
        "movie night",
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    worlds.add_world_arguments(parser)
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s, open loop (20)")
    parser.add_argument("--concurrency", type=int, default=8, help="in flight, for requests/s (8)")
    parser.add_argument("--duration", type=float, default=None, help="measured s (30; 5)")
    parser.add_argument("--warmup", type=float, default=None, help="s before measuring (5; 2)")


def _durations(args: argparse.Namespace) -> tuple[float, float]:
    duration = float(args.duration or (5.0 if args.quick else 30.0))
    warmup = float(args.warmup or (2.0 if args.quick else 5.0))
    return duration, warmup


def limit_seconds(args: argparse.Namespace) -> float:
    spec = worlds.spec_of(args.quick)
    duration, warmup = _durations(args)
    return worlds.generation_seconds(spec, args.rebuild_world, args.max_age_hours) + (
        300.0 + 2 * (duration + warmup + 60.0)
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = bool(args.quick)
    duration, warmup = _durations(args)
    world = worlds.ensure(
        worlds.spec_of(quick), rebuild=args.rebuild_world, max_age_hours=args.max_age_hours
    )
    matches = count_matches(world)
    reports: dict[str, dict[str, Any]] = {}
    with quanzi_server(
        env_overrides(args.server_env),
        ready_timeout=180,
        prepare=lambda data_dir: worlds.copy_to(world, data_dir),
    ) as server:
        active = world.meta["active"]
        requests = []
        for i, (_, token) in enumerate(active):
            lang = "zh" if i % 2 == 0 else "en"
            queries = QUERIES[lang]
            q = queries[(i // 2) % len(queries)]
            path = f"/api/quanzi/v1/search?q={urllib.parse.quote(q)}&type=posts"
            requests.append((lang, q, get_request(server.host, server.port, path, token)))
        config = {"host": server.host, "port": server.port, "server_pid": server.pid}
        with workers(client_main, [config], "search-client") as [client]:
            client.recv(timeout=60)
            for mode, load in (
                ("open", {"rate": args.rate}),
                ("closed", {"connections": args.concurrency}),
            ):
                what = (
                    f"{args.rate:g} requests/s"
                    if mode == "open"
                    else f"{args.concurrency} in flight"
                )
                log(
                    f"search: {len(QUERIES['zh'])} Chinese and {len(QUERIES['en'])} English "
                    f"queries as {len(active):,} accounts, {what}, {warmup:g} s warm-up + "
                    f"{duration:g} s"
                )
                reports[mode] = measure(
                    client,
                    requests,
                    count_key="posts",
                    warmup=warmup,
                    duration=duration,
                    seed=2 if mode == "open" else 3,
                    **load,
                )
        server.check_alive()
        rss_mib = round(server.rss_kib() / 1024, 1)
        server_cpu = round(cpu_seconds(server.pid), 1)

    result: dict[str, Any] = {"benchmark": "search", "quick": quick}
    languages: dict[str, Any] = {}
    for mode, report in reports.items():
        for lang in ("zh", "en"):
            row = summarize(lang, report["tags"].get(lang, {"latencies": []}), report["window_s"])
            languages.setdefault(lang, {})[mode] = row
            prefix = lang if mode == "open" else f"{lang}_closed"
            result[f"{prefix}_p50_ms"] = row["p50_ms"]
            result[f"{prefix}_p99_ms"] = row["p99_ms"]
            log(
                f"search {lang} ({mode} loop): {row['rps']} req/s, p50 {row['p50_ms']} ms, "
                f"p99 {row['p99_ms']} ms, max {row['max_ms']} ms"
            )
    problems = []
    per_query = {}
    for q, tally in sorted(reports["open"]["keys"].items()):
        per_query[q] = {
            "matches": matches[q],
            "n": tally["n"],
            "mean_ms": round(tally["mean_ms"], 2),
            "results": round(tally["items"] / max(tally["n"], 1), 1),
        }
    for report in reports.values():
        for q, tally in report["keys"].items():
            if tally["empty"]:
                problems.append(f"{q!r} found nothing ({tally['empty']} times)")
        missing = {q for qs in QUERIES.values() for q in qs} - set(report["keys"])
        if missing:
            problems.append(f"queries never measured: {sorted(missing)}")
    if problems:
        raise RuntimeError("; ".join(problems))
    result["rate"] = round(sum(languages[lang]["open"]["rps"] for lang in languages), 1)
    result["rps"] = round(sum(languages[lang]["closed"]["rps"] for lang in languages), 1)
    result["target"] = {
        f"{lang}_p99_ms": {"max": TARGET_P99_MS, "met": result[f"{lang}_p99_ms"] <= TARGET_P99_MS}
        for lang in ("zh", "en")
    }
    result["world"] = world.summary()
    result["concurrency"] = args.concurrency
    result["details"] = {
        "languages": languages,
        "queries": per_query,
        "open": machine_during(reports["open"]),
        "closed": machine_during(reports["closed"]),
        "server_rss_mib": rss_mib,
        "server_cpu_s": server_cpu,
    }
    result["machine"] = machine()
    log(
        f"search: zh p50 {result['zh_p50_ms']} / p99 {result['zh_p99_ms']} ms, en p50 "
        f"{result['en_p50_ms']} / p99 {result['en_p99_ms']} ms at {result['rate']} req/s; "
        f"{result['rps']} req/s with {args.concurrency} in flight"
    )
    return result


def count_matches(world: worlds.World) -> dict[str, int]:
    """How many posts each query matches (all of its terms), straight from the index."""
    from quanzi.db.search import fts5_query
    from quanzi.kit.words import query_terms

    counts = {}
    conn = sqlite3.connect(world.path)  # reads only; closing it leaves no -wal file beside
    with contextlib.closing(conn):
        for q in (q for qs in QUERIES.values() for q in qs):
            counts[q] = conn.execute(
                "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?",
                (fts5_query(query_terms(q)),),
            ).fetchone()[0]
    log("search: matches " + ", ".join(f"{q} {n:,}" for q, n in counts.items()))
    return counts
