"""`quanzi serve` on a free port with a temporary data directory and the demo world, for the
scripts that look at the web client (screenshots.py, lighthouse.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quanzi(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "quanzi", *args], env=env, check=True, cwd=ROOT)


@contextmanager
def demo_server() -> Iterator[str]:
    """The base URL of a fresh server holding the demo world (every password `quanzi-demo`)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "QUANZI_DATA_DIR": data, "QUANZI_PUBLIC_URL": base}
        quanzi(env, "migrate")
        quanzi(env, "demo", "--if-empty")
        server = subprocess.Popen(
            [sys.executable, "-m", "quanzi", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait()
