"""A real `quanzi serve` process for the Mastodon-compatible API, and accounts made with the
real CLI (`quanzi user create`), for the tests that drive it with real Mastodon clients
(Mastodon.py in test_mastodon.py, the toot CLI in test_mastodon_toot.py).

One server per test module and backend (SQLite, and PostgreSQL + Redis when the test database
is configured): starting a process and making accounts is the slow part, so the tests of a
module share them and each makes the posts it looks at."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, fresh_database, make_settings
from tests.helpers import PASSWORD, ROOT, ServerProcess, free_port, settings_env

NATIVE = "/api/quanzi/v1"


@dataclass
class Server:
    base: str
    env: dict[str, str]

    def create_user(self, handle: str, display_name: str) -> str:
        """An account made by the operator's CLI; its email is `<handle>@example.com`."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "quanzi",
                "user",
                "create",
                handle,
                "--display-name",
                display_name,
                "--email",
                email_of(handle),
                "--password",
                PASSWORD,
            ],
            env={**os.environ, **self.env},
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return handle

    def native(self, handle: str) -> httpx.Client:
        """The native API as `handle` (a session of quanzi's own client)."""
        r = httpx.post(
            f"{self.base}{NATIVE}/sessions",
            json={"login": handle, "password": PASSWORD, "device_name": "native"},
        )
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        return httpx.Client(
            base_url=f"{self.base}{NATIVE}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )


def email_of(handle: str) -> str:
    return f"{handle}@example.com"


@contextlib.contextmanager
def running_server(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[Server]:
    """A migrated database of its own (copied from the session's template) and a server
    process on a loopback port whose public address is where the clients reach it."""
    with fresh_database(backend, tmp_path, sqlite_template, postgres_template) as url:
        settings = make_settings(url, tmp_path, backend)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = settings_env(settings) | {
            "QUANZI_PUBLIC_URL": base,
            # the suite makes a few hundred calls per account; the headers are what it checks
            "QUANZI_RATE_MASTODON_ACCOUNT": "100000/5 minutes",
        }
        process = ServerProcess(env, port)
        try:
            asyncio.run(process.ready())
            yield Server(base, env)
        finally:
            process.stop()


def server_fixture(name: str) -> Any:
    """A test module's `server` fixture: one running server per backend for the module."""

    @pytest.fixture(scope="module", params=BACKENDS)
    def server(
        request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory,
        sqlite_template: Path,
        postgres_template: str | None,
    ) -> Iterator[Server]:
        backend = str(request.param)
        with running_server(
            backend,
            tmp_path_factory.mktemp(f"{name}-{backend}"),
            sqlite_template,
            postgres_template,
        ) as running:
            yield running

    return server
