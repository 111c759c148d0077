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
from pathlib import Path

import httpx

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
    """One Lighthouse run: each category's score (0–100) and the metrics in milliseconds."""
    with tempfile.TemporaryDirectory() as profile:
        command = [
            str(LIGHTHOUSE),
            url,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags=--headless=new --no-sandbox --user-data-dir={profile}",
        ]
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        done = subprocess.run(
            command,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
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
        for name in ("accessibility", "best-practices", "seo")
        for ref in report["categories"][name]["auditRefs"]
        if ref["weight"] and (report["audits"][audit_id := ref["id"]]["score"] or 0) < 1
    ]
    if failing:
        print(f"  failing: {', '.join(failing)}", file=sys.stderr)
    return scores


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
