"""The `quanzi` command end to end: each test runs `python -m quanzi ...` as a real child
process, configured only through QUANZI_* environment variables, on a SQLite file in tmp_path.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from quanzi import __version__
from tests.helpers import PASSWORD, ServerProcess, free_port, pg_admin

PG_URL = os.environ.get("QUANZI_TEST_DATABASE_URL")
DEMO_HANDLES = ["xiaoming", "lilei", "hanmeimei", "alice", "bob"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh, empty data directory (nothing migrated) and cheap password hashing."""
    return {
        "QUANZI_DATA_DIR": str(tmp_path / "data"),
        "QUANZI_ARGON2_TIME_COST": "1",
        "QUANZI_ARGON2_MEMORY_KIB": "1024",
        "QUANZI_ARGON2_PARALLELISM": "1",
        "QUANZI_LOG_LEVEL": "warning",
    }


def quanzi(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `quanzi ARGS` with exactly the QUANZI_* settings in `env` (none inherited)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    # Wide, plain output: rich wraps at 80 columns otherwise and tables would be cut.
    full.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "quanzi", *args],
        env=full,
        cwd=str(cwd or Path(env["QUANZI_DATA_DIR"]).parent),  # no stray .env is read
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything the command printed, with line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


def ok(*args: str, env: dict[str, str]) -> str:
    result = quanzi(*args, env=env)
    assert result.returncode == 0, f"quanzi {' '.join(args)}: {said(result)}"
    return said(result)


def table_rows(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    """The body rows of a rich table, as lists of cells."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in result.stdout.splitlines()
        if line.startswith("│")
    ]


def accounts(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """`quanzi user list`, by handle."""
    result = quanzi("user", "list", env=env)
    assert result.returncode == 0, said(result)
    columns = ["number", "handle", "name", "role", "status", "created"]
    rows = [dict(zip(columns, row, strict=True)) for row in table_rows(result)]
    by_handle = {row["handle"]: row for row in rows}
    assert len(by_handle) == len(rows), f"a handle is listed twice: {result.stdout}"
    return by_handle


# migrate


def test_migrate_applies_then_is_up_to_date(env: dict[str, str]) -> None:
    first = ok("migrate", env=env)
    applied = re.search(r"Applied (\d+) migration\(s\)", first)
    assert applied and int(applied.group(1)) >= 1, first
    assert (Path(env["QUANZI_DATA_DIR"]) / "quanzi.db").is_file()

    assert "The schema is up to date." in ok("migrate", env=env)


def test_version(env: dict[str, str]) -> None:
    assert ok("version", env=env) == __version__


# demo


def test_demo_if_empty_seeds_once(env: dict[str, str]) -> None:
    ok("migrate", env=env)

    first = ok("demo", "--if-empty", env=env)
    for handle in DEMO_HANDLES:
        assert handle in first
    assert "Log in with any handle above and the password quanzi-demo." in first
    listed = accounts(env)
    assert sorted(listed) == sorted(DEMO_HANDLES)
    assert listed["xiaoming"]["role"] == "admin"
    assert {row["status"] for row in listed.values()} == {"active"}

    again = ok("demo", "--if-empty", env=env)
    assert "already has accounts; no demo data added" in again
    assert "quanzi-demo" not in again
    assert accounts(env) == listed


def test_demo_if_empty_adds_nothing_when_someone_exists(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    ok("user", "create", "first", "--password", PASSWORD, env=env)
    assert "no demo data added" in ok("demo", "--if-empty", env=env)
    assert list(accounts(env)) == ["first"]


# user


def test_user_create_and_list(env: dict[str, str]) -> None:
    ok("migrate", env=env)

    created = ok(
        *("user", "create", "Boss", "--admin", "--display-name", "Big Boss"),
        *("--password", PASSWORD),
        env=env,
    )
    assert re.search(r"Created Boss \(number 10001, id \d+\)\.", created), created
    ok("user", "create", "worker", "--password", PASSWORD, env=env)

    listed = accounts(env)
    assert listed["Boss"]["role"] == "admin"
    assert listed["Boss"]["name"] == "Big Boss"
    assert listed["Boss"]["number"] == "10001"
    assert listed["Boss"]["status"] == "active"
    assert listed["worker"]["role"] == "user"
    assert listed["worker"]["name"] == "worker"  # the display name defaults to the handle
    assert list(listed) == ["worker", "Boss"]  # newest first


def test_user_create_refuses_bad_input(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    ok("user", "create", "taken", "--password", PASSWORD, env=env)

    again = quanzi("user", "create", "TAKEN", "--password", PASSWORD, env=env)
    assert again.returncode == 1, said(again)
    assert "handle_taken" in said(again)

    weak = quanzi("user", "create", "shorty", "--password", "short", env=env)
    assert weak.returncode == 1, said(weak)
    assert "password" in said(weak).lower()
    assert "Traceback" not in said(weak)

    assert list(accounts(env)) == ["taken"]


def test_user_disable_unknown_handle(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    result = quanzi("user", "disable", "nobody", env=env)
    assert result.returncode == 1, said(result)
    assert "No account 'nobody'" in said(result)


@pytest.mark.slow
async def test_disabled_user_cannot_log_in(env: dict[str, str]) -> None:
    """Demo accounts log in with the printed password; `user disable` ends a user's sessions
    and refuses their log-in on a running server; `user enable` lets them in again."""
    env["QUANZI_SESSION_CACHE_SECONDS"] = "0"  # the CLI's revocation event reaches no server
    ok("migrate", env=env)
    demo = ok("demo", "--if-empty", env=env)
    printed = re.search(r"the password (\S+)\.", demo)
    assert printed, demo
    ok("user", "create", "carol", "--password", PASSWORD, env=env)

    # ServerProcess inherits os.environ: pin what a developer's shell might have set.
    data = Path(env["QUANZI_DATA_DIR"])
    server = ServerProcess(
        {**env, "QUANZI_DATABASE_URL": f"sqlite:///{data / 'quanzi.db'}", "QUANZI_REDIS_URL": ""}
    )
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:

            async def log_in(login: str, password: str = PASSWORD) -> httpx.Response:
                return await http.post(
                    "/api/quanzi/v1/sessions", json={"login": login, "password": password}
                )

            r = await log_in("xiaoming", printed.group(1))
            assert r.status_code == 201, r.text
            assert r.json()["account"]["role"] == "admin"

            r = await log_in("carol")
            assert r.status_code == 201, r.text
            auth = {"Authorization": f"Bearer {r.json()['token']}"}
            assert (await http.get("/api/quanzi/v1/accounts/me", headers=auth)).status_code == 200

            assert "carol is now disabled." in ok("user", "disable", "carol", env=env)
            assert accounts(env)["carol"]["status"] == "disabled"

            r = await log_in("carol")
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "account_disabled"
            r = await http.get("/api/quanzi/v1/accounts/me", headers=auth)
            assert r.status_code == 401, r.text  # the session it had has ended

            assert "carol is now active." in ok("user", "enable", "carol", env=env)
            r = await log_in("carol")
            assert r.status_code == 201, r.text
            # Enabling does not bring the old session back.
            assert (await http.get("/api/quanzi/v1/accounts/me", headers=auth)).status_code == 401
    finally:
        server.stop()


# doctor


def test_doctor_good_setup(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    out = ok("doctor", env=env)
    assert "✓ database: sqlite" in out
    assert "schema up to date" in out
    assert "✗" not in out
    assert "All good." in out


def test_doctor_pending_migrations(env: dict[str, str]) -> None:
    result = quanzi("doctor", env=env)
    assert result.returncode == 1, said(result)
    out = said(result)
    assert "✗ database" in out
    assert "not applied: run `quanzi migrate`" in out
    assert "1 problem(s) found." in out
    assert "Traceback" not in out


def test_doctor_unreachable_database(env: dict[str, str]) -> None:
    env["QUANZI_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:1/x"
    result = quanzi("doctor", env=env, timeout=30)
    assert result.returncode == 1, said(result)
    out = said(result)
    assert "✗ database: cannot reach 127.0.0.1:1/x" in out
    assert "1 problem(s) found." in out
    assert "Traceback" not in out


def test_doctor_unreachable_redis(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    env["QUANZI_REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = quanzi("doctor", env=env, timeout=30)
    assert result.returncode == 1, said(result)
    out = said(result)
    assert "✗ redis: cannot reach redis://127.0.0.1:1/0" in out
    assert "✓ database" in out
    assert "1 problem(s) found." in out


@pytest.mark.skipif(PG_URL is None, reason="QUANZI_TEST_DATABASE_URL is not set")
def test_doctor_and_migrate_on_postgres(env: dict[str, str]) -> None:
    assert PG_URL is not None
    name = f"quanzi_cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    try:
        env["QUANZI_DATABASE_URL"] = f"{PG_URL.rpartition('/')[0]}/{name}"
        pending = quanzi("doctor", env=env)
        assert pending.returncode == 1, said(pending)
        assert "run `quanzi migrate`" in said(pending)

        assert "Applied" in ok("migrate", env=env)
        out = ok("doctor", env=env)
        assert "✓ database: postgresql" in out
        assert "All good." in out
    finally:
        asyncio.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# serve refuses to start


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("QUANZI_REGISTRATION", "maybe"),
        ("QUANZI_DATABASE_URL", "mysql://x"),
        ("QUANZI_SECRET_KEY", "short"),
        ("QUANZI_RATE_LOGIN_IP", "lots"),
        ("QUANZI_REDIS_URL", "http://127.0.0.1:6379"),
        ("QUANZI_PORT", "70000"),
        ("QUANZI_LOG_LEVEL", "loud"),
    ],
)
def test_serve_refuses_bad_configuration(env: dict[str, str], variable: str, value: str) -> None:
    env["QUANZI_PORT"] = str(free_port())
    env[variable] = value
    result = quanzi("serve", env=env, timeout=30)
    out = said(result)
    assert result.returncode == 2, out
    assert "the configuration has errors" in out
    assert f"{variable}:" in result.stderr, result.stderr
    assert "web page" not in out  # it stopped before starting
    if variable == "QUANZI_SECRET_KEY":
        assert value not in out  # a secret is never echoed, even a bad one
    else:
        assert repr(value) in out or value in out


def test_bad_configuration_stops_other_commands_too(env: dict[str, str]) -> None:
    env["QUANZI_REGISTRATION"] = "maybe"
    for command in (["migrate"], ["doctor"], ["user", "list"]):
        result = quanzi(*command, env=env)
        assert result.returncode == 2, said(result)
        assert "QUANZI_REGISTRATION:" in result.stderr


def test_serve_several_workers_need_redis(env: dict[str, str]) -> None:
    env["QUANZI_PORT"] = str(free_port())
    result = quanzi("serve", "--workers", "2", env=env, timeout=30)
    out = said(result)
    assert result.returncode == 2, out
    assert "QUANZI_REDIS_URL" in out
    assert "web page" not in out


def test_serve_refuses_unmigrated_database(env: dict[str, str]) -> None:
    env["QUANZI_PORT"] = str(free_port())
    result = quanzi("serve", env=env, timeout=30)
    out = said(result)
    assert result.returncode == 2, out
    assert "run `quanzi migrate`" in out
    assert "web page" not in out
    assert "Traceback" not in out


def test_serve_on_a_taken_port_says_what_to_do_before_any_banner(env: dict[str, str]) -> None:
    ok("migrate", env=env)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env["QUANZI_PORT"] = str(port)
        result = quanzi("serve", env=env, timeout=60)
    out = said(result)
    assert result.returncode != 0, out
    assert f"port {port} on 127.0.0.1 is in use" in out
    suggested = re.search(r"QUANZI_PORT=(\d+) make run", out)
    assert suggested is not None and int(suggested.group(1)) != port, out
    assert "web page" not in out and "http://" not in out  # no address was announced
    assert "Traceback" not in out
    assert not any(line.lstrip().startswith("{") for line in out.splitlines())  # no JSON


def _serve_env(env: dict[str, str]) -> dict[str, str]:
    ok("migrate", env=env)
    full = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    full.update(env)
    full.update({"QUANZI_PORT": str(free_port()), "QUANZI_LOG_LEVEL": "info"})
    full.pop("NO_COLOR", None)
    return full


def _read_until(read: Callable[[], bytes], wanted: str, timeout: float = 60) -> str:
    """What a child process wrote, read until `wanted` appears in it (ANSI styles removed)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += read()
        if wanted in ANSI.sub("", seen.decode(errors="replace")):
            return seen.decode(errors="replace")
    raise AssertionError(f"no {wanted!r} in: {seen.decode(errors='replace')}")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_logs_are_lines_for_people_on_a_terminal(env: dict[str, str]) -> None:
    full = _serve_env(env)
    leader, follower = pty.openpty()
    server = subprocess.Popen(
        [sys.executable, "-m", "quanzi", "serve"],
        env=full,
        cwd=env["QUANZI_DATA_DIR"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)

    def read() -> bytes:
        ready, _, _ = select.select([leader], [], [], 0.2)
        return os.read(leader, 65536) if ready else b""

    try:
        _read_until(read, "started")
        assert httpx.get(f"http://127.0.0.1:{full['QUANZI_PORT']}/healthz").status_code == 200
        seen = _read_until(read, "GET /healthz 200")
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.close(leader)
    plain = ANSI.sub("", seen)
    line = next(x for x in plain.splitlines() if "GET /healthz" in x)
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /healthz 200 \d+ ms", line.strip()), line
    assert "\x1b[32m200" in seen  # the status, coloured
    assert not any(x.lstrip().startswith("{") for x in plain.splitlines())  # no JSON


def test_logs_are_json_on_a_pipe(env: dict[str, str]) -> None:
    full = _serve_env(env)
    server = subprocess.Popen(
        [sys.executable, "-m", "quanzi", "serve"],
        env=full,
        cwd=env["QUANZI_DATA_DIR"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stderr = server.stderr
    assert stderr is not None
    os.set_blocking(stderr.fileno(), False)

    def read() -> bytes:
        time.sleep(0.1)
        return stderr.read() or b""

    try:
        _read_until(read, '"started"')
        assert httpx.get(f"http://127.0.0.1:{full['QUANZI_PORT']}/healthz").status_code == 200
        seen = _read_until(read, '"/healthz"')
    finally:
        server.terminate()
        server.wait(timeout=30)
    records = [json.loads(x) for x in seen.splitlines() if x.strip()]  # every line is JSON
    request = next(r for r in records if r["event"] == "request")
    assert (request["method"], request["path"], request["status"]) == ("GET", "/healthz", 200)
    assert "timestamp" in request and "ms" in request


def test_each_worker_of_several_logs_as_configured(env: dict[str, str]) -> None:
    """`serve --workers N` makes each worker's application with `quanzi.cli:worker_app`, which
    sets up the logs as the parent's (JSON on a pipe), not structlog's defaults."""
    ok("migrate", env=env)
    full = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    full.update(env)
    full["QUANZI_LOG_LEVEL"] = "info"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from quanzi.cli import worker_app; from quanzi.obs.logging import get_logger; "
            "worker_app(); get_logger('quanzi.test').info('hello', n=1)",
        ],
        env=full,
        cwd=env["QUANZI_DATA_DIR"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stderr.splitlines() if "hello" in x]
    assert json.loads(line)["n"] == 1
