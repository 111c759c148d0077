"""Lighthouse (mobile defaults: an emulated phone, simulated slow 4G and CPU) on the web
client's main pages, logged in as the demo user, on a fresh demo world.

    .venv/bin/python scripts/lighthouse.py [--runs 3] [--only chats moments ...]

Starts `quanzi serve` on a free port with a temporary data directory and the demo world, runs
the pinned Lighthouse (node_modules, `npm ci`) against Debian's Chromium (/usr/bin/chromium)
each page --runs times, and prints a table of the median scores (with ranges); the last line of
stdout is the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from websockets.sync.client import connect

from demo_server import ROOT, demo_server

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# The numbers behind a performance score, to see what moved.
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")


def pages(base: str, cookie: str) -> list[tuple[str, str]]:
    """The main pages: each tab, the demo group chat, a post of nine photos, and /login."""
    web = httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=10)
    api = "/api/quanzi/v1"
    group = next(
        c for c in web.get(f"{api}/conversations").json()["items"] if "周末爬山" in c["name"]
    )
    square = web.get("/square?tab=public").raise_for_status().text
    post = re.findall(r'data-post-id="(\d+)"', square)[0]
    return [
        ("chats", "/chats"),
        ("chat", f"/chats/{group['id']}"),
        ("contacts", "/contacts"),
        ("moments", "/moments"),
        ("square", "/square?tab=public"),
        ("post", f"/posts/{post}"),
        ("me", "/me"),
        ("login", "/login"),
    ]


def lighthouse(url: str, cookie: str | None, keep: Path | None) -> dict[str, float]:
    """One Lighthouse run in a fresh Chromium (holding the session cookie, if given, as a
    browser that logged in would: sent on every request, the stream's WebSocket too): each
    category's score (0–100) and the metrics in milliseconds."""
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as port:
        if cookie:
            set_cookie(port, url, cookie)
        command = [
            str(LIGHTHOUSE),
            url,
            f"--port={port}",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    if keep is not None:
        keep.write_text(done.stdout)
    report = json.loads(done.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"{url}: {report['runtimeError']}")
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    for metric in METRICS:
        scores[metric] = round(report["audits"][metric]["numericValue"])
    failing = [
        audit_id
        for name in CATEGORIES
        for ref in report["categories"][name]["auditRefs"]
        if ref["weight"] and (report["audits"][audit_id := ref["id"]]["score"] or 0) < 0.9
    ]
    print(f"  {scores}; below 0.9: {', '.join(failing) or 'none'}", file=sys.stderr)
    return scores


@contextmanager
def chromium(profile: Path) -> Iterator[int]:
    """Debian's Chromium, headless, with a fresh profile: its DevTools port."""
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not active.exists() or not active.read_text().strip():
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        yield int(active.read_text().split()[0])
    finally:
        browser.terminate()
        browser.wait()


def set_cookie(port: int, url: str, cookie: str) -> None:
    name, _, value = cookie.partition("=")
    info = httpx.get(f"http://127.0.0.1:{port}/json/version").raise_for_status().json()
    with connect(info["webSocketDebuggerUrl"], max_size=None) as cdp:
        params = {"cookies": [{"name": name, "value": value, "url": url, "httpOnly": True}]}
        cdp.send(json.dumps({"id": 1, "method": "Storage.setCookies", "params": params}))
        answer = json.loads(cdp.recv())
        if "error" in answer:
            raise RuntimeError(f"setting the cookie: {answer['error']}")


def version(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median counts")
    parser.add_argument("--only", nargs="*", help="only these pages (chats, chat, login, …)")
    parser.add_argument("--reports", type=Path, help="keep each run's full JSON report here")
    args = parser.parse_args()
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    with demo_server() as base:
        login = {"login": "xiaoming", "password": "quanzi-demo"}
        token = httpx.post(f"{base}/api/quanzi/v1/sessions", json=login).raise_for_status()
        cookie = f"quanzi_session={token.json()['token']}"
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, path in pages(base, cookie):
            if args.only and name not in args.only:
                continue
            runs = []
            for run in range(args.runs):
                print(f"{name} {path} run {run + 1}", file=sys.stderr)
                keep = args.reports / f"{name}-{run + 1}.json" if args.reports else None
                runs.append(lighthouse(base + path, None if name == "login" else cookie, keep))
            results[name] = {
                key: {
                    "median": statistics.median(r[key] for r in runs),
                    "min": min(r[key] for r in runs),
                    "max": max(r[key] for r in runs),
                }
                for key in runs[0]
            }
    print(f"{'page':10}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for name, scores in results.items():
        cells = (
            f"{scores[c]['median']:g} ({scores[c]['min']:g}–{scores[c]['max']:g})"
            for c in CATEGORIES
        )
        print(f"{name:10}" + "".join(f"{cell:>16}" for cell in cells))
    print(
        json.dumps(
            {
                "lighthouse": version([str(LIGHTHOUSE), "--version"]),
                "chromium": version([CHROMIUM, "--version"]),
                "load": os.getloadavg(),
                "runs": args.runs,
                "pages": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
