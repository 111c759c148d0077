"""Home timeline, Moments feed, a 100,000-follower account's post and trending, on a world of
1,000,000 posts (bench/world.py), against one server process on the embedded default (SQLite).

1. trending: before the server starts, in a separate process on the server's copy of the world,
   domain/square/topics.refresh_trending as the server's refresher runs it (with the clock at
   the moment the world was made, so that "the last hour" is the world's last hour), 5 runs
   (quick 3); `trending_refresh_s` is the median. Target: <= 1 s.
2. home: GET /api/quanzi/v1/timelines/home?limit=20 as every active account in turn (shuffled), from
   one client process, 5 s warm-up + 20 s measured (quick 2 + 5), twice:
   - latency, open loop at 50 requests/s (--home-rate): each request is due at its time
     whatever happened to the others and its latency counts from then, so stalls of the server
     show in full; `home_p50_ms`, `home_p99_ms`. Target: p99 <= 15 ms.
   - capacity, closed loop with 8 requests in flight (--concurrency): `home_rps`, and the
     latencies at that load (`home_closed_p99_ms`: on one process mostly the queue of 8).
   Every answer must be 200 and non-empty; pages of fewer than 20 posts are counted.
3. moments: the same with GET /api/quanzi/v1/moments?limit=20, open loop at 25 requests/s
   (--moments-rate). Target: p99 <= 15 ms.
4. big post: 50 followers of the big account (quick 30; active and light accounts) poll their
   home timelines for posts newer than a moment before (`since_id`, as a client polls for new
   posts), 16 requests in flight, each follower polled again until it has the post; the big
   account then posts. `big_post_visible_s` is the time from sending the post until the last
   of the 50 had it in an answer, median of 5 posts (quick 3) after one to warm up. It
   includes the post's own request (`big_post_request_s`: the timeline is read at query time,
   so the post is readable by every follower once that request is answered) and one round of
   polling the 50 (`poll_round_s` in the details). Target: <= 1 s. The sample is kept small so
   that a round of polls (each a home timeline read) is short beside what is measured: with 200
   followers a round took ~0.5 s of the server's time, and the figure measured the polling
   rather than the post.

Rates are chosen for 10,000 active accounts refreshing their home timeline every 200 s and
their Moments every 400 s; the closed-loop figures say how far that is from the capacity of
one process.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import world as worlds
from bench.common import (
    Server,
    Worker,
    cpu_seconds,
    env_overrides,
    http_json,
    log,
    machine,
    quanzi_server,
    run_loop,
    workers,
)
from bench.httpload import client_main, get_request, machine_during, measure, summarize

TARGET_HOME_P99_MS = 15.0
TARGET_MOMENTS_P99_MS = 15.0
TARGET_BIG_POST_S = 1.0
TARGET_TRENDING_S = 1.0
PHASES = ("trending", "home", "moments", "bigpost")
HOME = "/api/quanzi/v1/timelines/home?limit=20"
MOMENTS = "/api/quanzi/v1/moments?limit=20"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    worlds.add_world_arguments(parser)
    parser.add_argument(
        "--home-rate", type=float, default=50.0, help="home requests/s, open loop (50)"
    )
    parser.add_argument(
        "--moments-rate", type=float, default=25.0, help="Moments requests/s, open loop (25)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="in flight, for requests/s (8)")
    parser.add_argument("--duration", type=float, default=None, help="measured s (20; 5)")
    parser.add_argument("--warmup", type=float, default=None, help="s before measuring (5; 2)")
    parser.add_argument("--big-posts", type=int, default=None, help="posts to wait for (5; 3)")
    parser.add_argument("--sample", type=int, default=None, help="followers polled (50; 30)")
    parser.add_argument(
        "--watch-concurrency", type=int, default=16, help="polls in flight for the big post (16)"
    )
    parser.add_argument("--trending-runs", type=int, default=None, help="refreshes (5; 3)")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help="which phases to run (comma-separated)"
    )


def _pick(value: Any, full: Any, quick: Any, is_quick: bool) -> Any:
    return value if value is not None else (quick if is_quick else full)


def limit_seconds(args: argparse.Namespace) -> float:
    spec = worlds.spec_of(args.quick)
    duration = _pick(args.duration, 20.0, 5.0, args.quick)
    warmup = _pick(args.warmup, 5.0, 2.0, args.quick)
    return (
        worlds.generation_seconds(spec, args.rebuild_world, args.max_age_hours)
        + 300.0
        + 4 * (duration + warmup + 30.0)
        + 40.0 * _pick(args.big_posts, 5, 3, args.quick)
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = bool(args.quick)
    phases = [p.strip() for p in str(args.phases).split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"unknown phases: {sorted(unknown)}")
    duration = float(_pick(args.duration, 20.0, 5.0, quick))
    warmup = float(_pick(args.warmup, 5.0, 2.0, quick))
    world = worlds.ensure(
        worlds.spec_of(quick), rebuild=args.rebuild_world, max_age_hours=args.max_age_hours
    )
    result: dict[str, Any] = {"benchmark": "timeline", "quick": quick}
    details: dict[str, Any] = {}

    def prepare(data_dir: Path) -> None:
        database = worlds.copy_to(world, data_dir)
        if "trending" in phases:
            details["trending"] = phase_trending(
                database, world, int(_pick(args.trending_runs, 5, 3, quick))
            )

    with quanzi_server(
        env_overrides(args.server_env), ready_timeout=180, prepare=prepare
    ) as server:
        config = {"host": server.host, "port": server.port, "server_pid": server.pid}
        with workers(client_main, [config], "timeline-client") as [client]:
            client.recv(timeout=60)  # started
            active = world.meta["active"]
            if "home" in phases:
                details["home"] = phase_load(
                    server,
                    client,
                    "home",
                    HOME,
                    active,
                    rate=args.home_rate,
                    concurrency=args.concurrency,
                    warmup=warmup,
                    duration=duration,
                )
            if "moments" in phases:
                details["moments"] = phase_load(
                    server,
                    client,
                    "moments",
                    MOMENTS,
                    active,
                    rate=args.moments_rate,
                    concurrency=args.concurrency,
                    warmup=warmup,
                    duration=duration,
                )
            if "bigpost" in phases:
                details["bigpost"] = phase_big_post(
                    server,
                    client,
                    world,
                    posts=int(_pick(args.big_posts, 5, 3, quick)),
                    sample=int(_pick(args.sample, 50, 30, quick)),
                    connections=args.watch_concurrency,
                )
        server.check_alive()
        details["server_rss_mib"] = round(server.rss_kib() / 1024, 1)
        details["server_cpu_s"] = round(cpu_seconds(server.pid), 1)

    for name in ("home", "moments"):
        if name in details:
            opened, closed = details[name]["open"], details[name]["closed"]
            result[f"{name}_p50_ms"] = opened["p50_ms"]
            result[f"{name}_p99_ms"] = opened["p99_ms"]
            result[f"{name}_rate"] = opened["rps"]
            result[f"{name}_rps"] = closed["rps"]
            result[f"{name}_closed_p50_ms"] = closed["p50_ms"]
            result[f"{name}_closed_p99_ms"] = closed["p99_ms"]
    if "bigpost" in details:
        result["big_post_visible_s"] = details["bigpost"]["visible_s"]
        result["big_post_request_s"] = details["bigpost"]["post_request_s"]
        result["big_post_first_seen_s"] = details["bigpost"]["first_seen_s"]
    if "trending" in details:
        result["trending_refresh_s"] = details["trending"]["median_s"]
    result["target"] = targets(result)
    result["world"] = world.summary()
    result["concurrency"] = args.concurrency
    result["details"] = details
    result["machine"] = machine()
    log(f"timeline: {_headline(result)}")
    return result


def targets(result: dict[str, Any]) -> dict[str, Any]:
    checks = {
        "home_p99_ms": TARGET_HOME_P99_MS,
        "moments_p99_ms": TARGET_MOMENTS_P99_MS,
        "big_post_visible_s": TARGET_BIG_POST_S,
        "trending_refresh_s": TARGET_TRENDING_S,
    }
    out: dict[str, Any] = {}
    for key, limit in checks.items():
        if key in result and result[key] is not None:
            out[key] = {"max": limit, "met": result[key] <= limit}
    return out


def _headline(result: dict[str, Any]) -> str:
    keys = (
        "home_p50_ms",
        "home_p99_ms",
        "moments_p50_ms",
        "moments_p99_ms",
        "big_post_visible_s",
        "trending_refresh_s",
    )
    return ", ".join(f"{k} {result[k]}" for k in keys if k in result)


# Phases


def phase_load(
    server: Server,
    client: Worker,
    name: str,
    path: str,
    accounts: list[list[Any]],
    *,
    rate: float,
    concurrency: int,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    """GET `path` as each account in turn: open loop at `rate` requests/s (latency), then
    closed loop with `concurrency` in flight (capacity)."""
    requests = [(name, name, get_request(server.host, server.port, path, t)) for _, t in accounts]
    out: dict[str, Any] = {}
    for mode, load in (("open", {"rate": rate}), ("closed", {"connections": concurrency})):
        what = f"{rate:g} requests/s" if mode == "open" else f"{concurrency} in flight"
        log(
            f"{name}: GET {path} as {len(accounts):,} accounts, {what}, "
            f"{warmup:g} s warm-up + {duration:g} s"
        )
        report = measure(
            client,
            requests,
            count_key="items",
            warmup=warmup,
            duration=duration,
            seed=1 if mode == "open" else 2,
            **load,
        )
        row = summarize(name, report["tags"][name], report["window_s"]) | machine_during(report)
        log(
            f"{name} ({what}): {row['rps']:,} req/s, p50 {row['p50_ms']} ms, p99 "
            f"{row['p99_ms']} ms, max {row['max_ms']} ms, {row['mean_items']} items per page, "
            f"server CPU {row['server_cpu_percent']} %, machine {row['machine_busy_percent']} %"
        )
        out[mode] = row
    return out


def since_now_id(seconds_before: float = 1.0) -> int:
    """The smallest id the server can make `seconds_before` ago (kit.ids.id_at)."""
    from datetime import UTC, datetime

    from quanzi.kit.ids import id_at

    return id_at(datetime.fromtimestamp(time.time() - seconds_before, UTC))


def phase_big_post(
    server: Server,
    client: Worker,
    world: worlds.World,
    *,
    posts: int,
    sample: int,
    connections: int,
) -> dict[str, Any]:
    star_id, star_token = world.meta["star"]
    fans = world.meta["star_followers"]
    rng = random.Random(7)
    chosen = rng.sample(fans, min(sample, len(fans)))
    kinds = {kind: sum(1 for f in chosen if f[2] == kind) for kind in ("active", "light")}
    log(
        f"bigpost: the big account ({world.meta['star_followers_count']:,} followers) posts "
        f"{posts} times (and once to warm up); {len(chosen)} followers polled ({kinds})"
    )
    rounds = []
    for k in range(posts + 1):  # the first one is a warm-up
        marker = f"bigpost{k}x{secrets.token_hex(4)}"
        client.send(
            (
                "watch",
                {
                    "targets": [(a, t) for a, t, _ in chosen],
                    "path": f"{HOME}&since_id={since_now_id()}",
                    "marker": marker,
                    "connections": connections,
                    "timeout": 60.0,
                },
            )
        )
        if client.recv(timeout=60) != "polling":
            raise RuntimeError("the watching client did not start")
        time.sleep(0.5)
        t0 = time.monotonic()
        status, body = http_json(
            server,
            "POST",
            "/api/quanzi/v1/posts",
            {"text": f"#大新闻# {marker} 大家好，this is news", "visibility": "public"},
            token=star_token,
        )
        acked = time.monotonic() - t0
        if status != 201:
            raise RuntimeError(f"the big account's post answered {status}: {body}")
        report = client.recv(timeout=90)
        if report["missing"]:
            raise RuntimeError(f"{len(report['missing'])} followers never saw post {k}")
        seen = sorted(t - t0 for t in report["seen"].values())
        polls_per_s = report["polls"] / max(seen[-1], 1e-9) if seen else 0.0
        row = {
            "post_s": round(acked, 4),
            "first_s": round(seen[0], 4),
            "median_s": round(statistics.median(seen), 4),
            "all_s": round(seen[-1], 4),
            "polls": report["polls"],
            "polls_per_s": round(polls_per_s, 1),
            "statuses": report["statuses"],
        }
        log(
            f"bigpost {k}{' (warm-up)' if k == 0 else ''}: post answered in {acked * 1000:.0f} "
            f"ms; first follower saw it at {seen[0] * 1000:.0f} ms, all {len(seen)} at "
            f"{seen[-1] * 1000:.0f} ms ({polls_per_s:,.0f} polls/s)"
        )
        if k > 0:
            rounds.append(row)
        time.sleep(1.0)
    return {
        "visible_s": round(statistics.median(r["all_s"] for r in rounds), 4),
        "post_request_s": round(statistics.median(r["post_s"] for r in rounds), 4),
        "first_seen_s": round(statistics.median(r["first_s"] for r in rounds), 4),
        "poll_round_s": round(statistics.median(len(chosen) / r["polls_per_s"] for r in rounds), 4),
        "followers": world.meta["star_followers_count"],
        "sample": len(chosen),
        "sample_kinds": kinds,
        "star_id": str(star_id),
        "rounds": rounds,
    }


def phase_trending(database: Path, world: worlds.World, runs: int) -> dict[str, Any]:
    log(f"trending: {runs} refreshes in a separate process, clock at the world's making")
    config = {"url": f"sqlite+aiosqlite:///{database}", "now": world.generated_at, "runs": runs}
    with workers(trending_main, [config], "trending") as [child]:
        report = child.recv(timeout=600)
    times = report["seconds"]
    out = {
        "median_s": round(statistics.median(times), 4),
        "runs_s": [round(t, 4) for t in times],
        "events_in_span": report["events"],
        "topics_ranked": report["ranked"],
        "top": report["top"],
    }
    log(
        f"trending: median {out['median_s'] * 1000:.1f} ms over {runs} runs "
        f"({report['events']:,} events in the span, {report['ranked']} topics ranked)"
    )
    return out


def trending_main(config: dict[str, Any], pipe: Connection) -> None:
    try:
        pipe.send(run_loop(_trending(config)))
    except BaseException:
        pipe.send({"error": traceback.format_exc()})
    finally:
        pipe.close()


async def _trending(config: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    from sqlalchemy import text

    from quanzi.db.engine import Database
    from quanzi.domain.square import topics

    db = Database(config["url"])
    now = datetime.fromtimestamp(config["now"], UTC)
    try:
        async with db.read_session() as session:
            oldest = topics.current_window(now) - topics.SPAN_WINDOWS + 1
            events = (
                await session.execute(
                    text("SELECT count(*) FROM topic_events WHERE window >= :w"), {"w": oldest}
                )
            ).scalar_one()
        seconds = []
        ranked: list[tuple[int, float]] = []
        for _ in range(int(config["runs"])):
            t0 = time.perf_counter()
            ranked = await topics.refresh_trending(db, now)
            seconds.append(time.perf_counter() - t0)
        async with db.read_session() as session:
            top = (
                await session.execute(
                    text(
                        "SELECT t.name, r.score FROM trending_topics r "
                        "JOIN topics t ON t.id = r.topic_id ORDER BY r.rank LIMIT 5"
                    )
                )
            ).all()
    finally:
        await db.dispose()
    return {
        "seconds": seconds,
        "events": int(events),
        "ranked": len(ranked),
        "top": [[name, score] for name, score in top],
    }
