"""Log-in latency while a stolen session guesses the current password, at the real argon2
cost (the server's defaults: argon2id, 3 passes, 64 MiB, 4 lanes).

First a victim logs in `--logins` times one after the other, alone; then again while
`--guessers` threads keep as many wrong `POST /api/quanzi/v1/accounts/me/password` in flight
from another account's session, each a full argon2 verification unless refused first. The
result gives each phase's log-in latencies (median, range) and how the guesses were answered
(422: checked and wrong; 429: refused by the limits). Run it with the re-check limits lifted
(`--server-env QUANZI_RATE_REAUTH_SESSION=100000/minute --server-env
QUANZI_RATE_REAUTH_ACCOUNT=100000/minute`) to see what the bounded hashing does alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
import traceback
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from bench.common import (
    PASSWORD,
    env_overrides,
    http_json,
    log,
    machine,
    percentile,
    quanzi_server,
    register_user,
    workers,
)
from bench.common import Server as BenchServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guessers", type=int, default=12, help="guesses kept in flight")
    parser.add_argument("--logins", type=int, default=None, help="log-ins per phase (15)")


def limit_seconds(args: argparse.Namespace) -> float:
    return 180.0 + 10.0 * float(args.logins or 15)


def _log_in(server: BenchServer) -> float:
    started = time.perf_counter()
    status, data = http_json(
        server, "POST", "/api/quanzi/v1/sessions", {"login": "victim", "password": PASSWORD}
    )
    if status != 201:
        raise RuntimeError(f"the victim's log in answered {status}: {data}")
    return time.perf_counter() - started


def _phase(server: BenchServer, count: int) -> list[float]:
    return sorted(_log_in(server) for _ in range(count))


def _figures(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "median_ms": round(statistics.median(ms), 1),
        "min_ms": round(ms[0], 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "max_ms": round(ms[-1], 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    logins = args.logins or (5 if args.quick else 15)
    with quanzi_server(env_overrides(args.server_env)) as server:
        register_user(server, "victim")
        thief = register_user(server, "thief")
        _log_in(server)  # warm up
        log(f"{logins} log-ins alone")
        alone = _phase(server, logins)
        config = {"host": server.host, "port": server.port, "token": thief, "n": args.guessers}
        with workers(guesser_main, [config], "guesser") as (guesser,):
            guesser.recv(timeout=30)  # started
            started = time.perf_counter()
            time.sleep(1.0)  # the guesses are in flight
            log(f"{logins} log-ins beside {args.guessers} guesses in flight")
            guessed = _phase(server, logins)
            guesser.send("stop")
            answers: dict[str, int] = guesser.recv(timeout=120)
            window = time.perf_counter() - started
        server.check_alive()
    result = {
        "benchmark": "passwords",
        "guessers": args.guessers,
        "logins_per_phase": logins,
        "alone": _figures(alone),
        "beside_guesses": _figures(guessed),
        "guess_answers": answers,
        "guesses_checked_per_s": round(answers.get("422", 0) / window, 1),
        "machine": machine(),
    }
    log(
        f"log in alone {result['alone']['median_ms']} ms, beside guesses "
        f"{result['beside_guesses']['median_ms']} ms; guesses answered {answers}"
    )
    return result


# The guesser (its own process, so that its threads do not slow down the timed log-ins)


def guesser_main(config: dict[str, Any], pipe: Connection) -> None:
    try:
        answers: Counter[str] = Counter()
        lock = threading.Lock()
        stop = threading.Event()

        def guess() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                conn = http.client.HTTPConnection(config["host"], config["port"], timeout=120)
                body = {"current_password": f"guess {n}", "new_password": "whatever 12345"}
                conn.request(
                    "POST",
                    "/api/quanzi/v1/accounts/me/password",
                    body=json.dumps(body),
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {config['token']}",
                    },
                )
                status = conn.getresponse().status
                conn.close()
                with lock:
                    answers[str(status)] += 1

        threads = [threading.Thread(target=guess, daemon=True) for _ in range(config["n"])]
        for thread in threads:
            thread.start()
        pipe.send("started")
        pipe.recv()  # "stop"
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        pipe.send(dict(answers))
    except BaseException:
        pipe.send({"error": traceback.format_exc()})
    finally:
        pipe.close()
