"""Schemathesis against the real server (`quanzi serve` in a child process): no request that
can be generated from /api/openapi.json gets a 5xx answer.

Two runs share one server. The main run, as an administrator, covers every operation except
those that end the caller's own session or account; a second run gives those their own
account, so that ending it cannot leave the main run unauthenticated halfway.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from quanzi.config import Settings
from tests.helpers import PASSWORD, Personas, ServerProcess, User, settings_env

SEED = 20240601
EXAMPLES = 30  # per operation and phase
RUN_TIMEOUT = 600.0  # seconds, each run: a watchdog for a hang (a run takes ~1-3 min)

# Operations that end the session (or account) they are called with.
SESSION_ENDERS = [
    "DELETE /api/quanzi/v1/sessions",
    "DELETE /api/quanzi/v1/sessions/current",
    "DELETE /api/quanzi/v1/sessions/{session_id}",  # the stateful phase finds the caller's own id
    "DELETE /api/quanzi/v1/accounts/me",
    "POST /api/quanzi/v1/accounts/me/password",
]


@dataclass
class Run:
    returncode: int
    output: str
    tested: set[str]  # operations that got test cases
    failures: list[str]  # each failing operation with schemathesis's message


async def schemathesis(
    base: str, token: str, work: Path, *, include: list[str], exclude: list[str]
) -> Run:
    work.mkdir(parents=True, exist_ok=True)
    junit = work / "junit.xml"
    args = [
        "run",
        f"{base}/api/openapi.json",
        "--checks=not_a_server_error",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--workers=1",
        "--generation-database=none",
        "--request-timeout=10",
        f"--header=Authorization: Bearer {token}",
        "--report=junit",
        f"--report-junit-path={junit}",
        "--output-sanitize=false",  # show the real requests, to reproduce them
        "--no-color",
    ]
    args += [f"--include-name={name}" for name in include]
    args += [f"--exclude-name={name}" for name in exclude]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        *args,
        cwd=str(work),
        env={**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
        pytest.fail(f"schemathesis ran over {RUN_TIMEOUT} s:\n{out.decode(errors='replace')}")
    tested: set[str] = set()
    failures: list[str] = []
    if junit.exists():
        for case in ET.parse(junit).iter("testcase"):  # noqa: S314 (our own report)
            name = case.get("name", "")
            skipped = case.find("skipped") is not None
            if not skipped and name != "Stateful tests":
                tested.add(name)
            for problem in [*case.iter("failure"), *case.iter("error")]:
                failures.append(f"{name}: {problem.get('message', '')}\n{problem.text or ''}")
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(errors="replace"), tested, failures)


def operations(schema: dict[str, object]) -> set[str]:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {f"{m.upper()} {path}" for path, ops in paths.items() for m in ops if m in methods}


def report(run: Run, server: ServerProcess) -> str:
    found = "\n\n".join(run.failures) or "(no failures in the JUnit report)"
    return (
        f"schemathesis exited with {run.returncode}.\n\n--- failures ---\n{found}\n\n"
        f"--- schemathesis output ---\n{run.output[-12000:]}\n\n"
        f"--- server log ---\n{server.output()}"
    )


async def make_admin(env: dict[str, str], handle: str) -> None:
    """An administrator made by the operator's command, so that admin-only paths are reached."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quanzi",
        "user",
        "create",
        handle,
        "--admin",
        "--password",
        PASSWORD,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode(errors="replace")


@pytest.mark.slow
async def test_no_server_errors(settings: Settings, tmp_path: Path) -> None:
    env = settings_env(settings)
    await make_admin(env, "fuzzadmin")
    server = ServerProcess(env)
    started = time.monotonic()
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            people = Personas(http)
            admin = await people.login("fuzzadmin")
            assert (await http.get("/api/quanzi/v1/accounts/me", headers=admin.auth)).json()[
                "role"
            ] == "admin"
            closer = await people.register("fuzzcloser")  # registered through the API
            schema = (await http.get("/api/openapi.json")).json()
        everything = operations(schema)
        assert set(SESSION_ENDERS) <= everything, "an excluded operation is gone from the API"

        main = await schemathesis(
            server.base, admin.token, tmp_path / "main", include=[], exclude=SESSION_ENDERS
        )
        print(f"main run: {len(main.tested)} operations, {time.monotonic() - started:.1f} s")
        assert main.returncode == 0 and not main.failures, report(main, server)
        await still_logged_in(server.base, admin)

        enders = await schemathesis(
            server.base, closer.token, tmp_path / "enders", include=SESSION_ENDERS, exclude=[]
        )
        print(f"second run: {len(enders.tested)} operations, {time.monotonic() - started:.1f} s")
        assert enders.returncode == 0 and not enders.failures, report(enders, server)

        untested = everything - main.tested - enders.tested
        assert not untested, f"not tested: {sorted(untested)}\n{report(main, server)}"
        assert server.proc.poll() is None, server.output()
    finally:
        server.stop()


async def still_logged_in(base: str, user: User) -> None:
    """The main run must really have been authenticated all along."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        r = await http.get("/api/quanzi/v1/accounts/me", headers=user.auth)
    assert r.status_code == 200, f"the main run's session ended during the run: {r.text}"
