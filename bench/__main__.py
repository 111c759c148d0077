"""`python -m bench <name> [--quick] [options]`: run one benchmark against a real server.

Progress goes to stderr; the result is one JSON object, the last line of stdout (on failure an
object with "error", and exit code 1).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench import api, chat, mastodon, passwords, search, timeline, world, ws
from bench.common import emit, log, raise_fd_limit, time_limit


@dataclass(frozen=True)
class Benchmark:
    module: ModuleType
    summary: str

    @property
    def add_arguments(self) -> Callable[[argparse.ArgumentParser], None]:
        return self.module.add_arguments  # type: ignore[no-any-return]

    def run(self, args: argparse.Namespace) -> dict[str, Any]:
        return self.module.run(args)  # type: ignore[no-any-return]

    def limit_seconds(self, args: argparse.Namespace) -> float:
        return float(self.module.limit_seconds(args))


BENCHMARKS = {
    "api": Benchmark(api, "authenticated GET /api/quanzi/v1/accounts/me: requests/s, p50, p99"),
    "ws": Benchmark(ws, "idle authenticated WebSockets on one process: memory per connection"),
    "chat": Benchmark(
        chat,
        "chat over WebSockets: throughput, latency, catch-up, group fan-out (--vs-synapse)",
    ),
    "world": Benchmark(
        world,
        "generate (or reuse) the cached world of 1,000,000 posts that timeline and search read",
    ),
    "timeline": Benchmark(
        timeline,
        "home timeline and Moments feed p50/p99, a 100,000-follower post's visibility, trending",
    ),
    "search": Benchmark(search, "full-text search of posts, Chinese and English: p50/p99"),
    "passwords": Benchmark(
        passwords,
        "log-in latency while a stolen session guesses the current password (real argon2)",
    ),
    "mastodon": Benchmark(
        mastodon,
        "a Mastodon client's calls: statuses created/s, home, favourite, reblog, notifications",
    ),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of quanzi against a real `quanzi serve` process.",
        epilog="Progress goes to stderr; the result is the last line of stdout, one JSON object.",
    )
    subs = top.add_subparsers(dest="name", required=True, metavar="<name>")
    for name, bench in BENCHMARKS.items():
        sub = subs.add_parser(name, help=bench.summary, description=bench.summary)
        sub.add_argument("--quick", action="store_true", help="a short run, for checking")
        sub.add_argument("--time-limit", type=float, default=None, help="seconds before giving up")
        sub.add_argument(
            "--server-env",
            action="append",
            default=[],
            metavar="QUANZI_X=VALUE",
            help="a setting for the server (repeatable), e.g. QUANZI_SQLITE_READERS=16",
        )
        bench.add_arguments(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    bench = BENCHMARKS[args.name]
    nofile = raise_fd_limit()
    limit = args.time_limit or bench.limit_seconds(args)
    log(f"{args.name}: open files limit {nofile}, time limit {limit:.0f} s")
    try:
        with time_limit(limit):
            result = bench.run(args)
    except BaseException as exc:  # KeyboardInterrupt and the time limit included
        traceback.print_exc(file=sys.stderr)
        emit({"benchmark": args.name, "error": f"{exc.__class__.__name__}: {exc}"})
        return 1
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
