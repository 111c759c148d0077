"""What every benchmark shares: a real `quanzi serve` child process on a fresh data directory,
/proc readings of it (RSS, CPU time), client worker processes, the machine description, the
time limit and the output convention (progress on stderr, one JSON object last on stdout)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import importlib.metadata
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1234"
UNLIMITED_RATE = "100000/minute"
CLK_TCK = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")

_started = time.monotonic()


# Output


def log(message: str) -> None:
    """Progress, on stderr (stdout is reserved for the result)."""
    print(f"[bench {time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


def emit(result: Mapping[str, Any]) -> None:
    """The result: one JSON object on one line, the last of stdout."""
    sys.stdout.write(json.dumps(result, separators=(",", ":"), sort_keys=False) + "\n")
    sys.stdout.flush()


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# Limits of this process


class BenchTimeout(Exception):
    """The benchmark ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise BenchTimeout in the main thread after `seconds`; SIGTERM/SIGHUP raise too, so the
    `finally` blocks that stop the server and the clients always run."""

    def on_alarm(_signum: int, _frame: FrameType | None) -> None:
        raise BenchTimeout(f"time limit of {seconds:.0f} s reached")

    def on_term(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {
        sig: signal.signal(sig, handler)
        for sig, handler in (
            (signal.SIGALRM, on_alarm),
            (signal.SIGTERM, on_term),
            (signal.SIGHUP, on_term),
        )
    }
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (inherited by the server and clients)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


# The machine


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    try:
        uvloop_version: str | None = importlib.metadata.version("uvloop")
    except importlib.metadata.PackageNotFoundError:
        uvloop_version = None
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_mib": mem_kib // 1024,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "uvloop": uvloop_version,
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "speed": speed(),
    }


def speed() -> dict[str, float]:
    """How fast the machine is right now, on one core, in two small fixed workloads (medians of
    three): a pure-Python loop (`python_loop_ms`, 3,000,000 additions) and one-row SQLite
    commits (`sqlite_commits_per_s`, WAL, synchronous=NORMAL, as in ../shared/LIMITS.md where
    the same machine made 60,000 a second). The virtual machine's speed varies from day to day
    by more than the benchmarks' own noise; these put a run's figures in proportion."""
    loops = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        loops.append(time.perf_counter() - started)
    rates = []
    with tempfile.TemporaryDirectory(prefix="quanzi-speed-") as tmp:
        db = sqlite3.connect(Path(tmp) / "speed.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(5_000):
                db.execute("BEGIN")
                db.execute("INSERT INTO t (v) VALUES (?)", ("x" * 50,))
                db.execute("COMMIT")
            rates.append(5_000 / (time.perf_counter() - started))
        db.close()
    return {
        "python_loop_ms": round(statistics.median(loops) * 1000, 1),
        "sqlite_commits_per_s": round(statistics.median(rates)),
    }


# /proc readings


def proc_status(pid: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (VmRSS)."""
    return int(proc_status(pid)["VmRSS"].split()[0])


def rss_peak_kib(pid: int) -> int:
    """Peak resident set size of a process, in KiB (VmHWM)."""
    return int(proc_status(pid)["VmHWM"].split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # after "pid (comm) ": state is field 3, utime 14, stime 15 (1-based) -> 11 and 12 here
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU time of all cores since boot: (busy, of which stolen by the hypervisor). Busy is
    user, nice, system, irq, softirq and steal."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK, steal / CLK_TCK


def thread_count(pid: int) -> int:
    return int(proc_status(pid)["Threads"])


# The server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def migrate(env: Mapping[str, str], cwd: Path, timeout: float) -> None:
    """`quanzi migrate` with `env`, run in `cwd` (a temporary directory: no stray .env of the
    caller's working directory is read)."""
    done = subprocess.run(
        [*quanzi_command(), "migrate"],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"quanzi migrate failed:\n{done.stdout.decode()}{done.stderr.decode()}")


def quanzi_command() -> list[str]:
    script = Path(sys.executable).with_name("quanzi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quanzi"]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    data_dir: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(f"the server exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def server_env(port: int, data_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The inherited environment without any QUANZI_* of the caller (a developer's database
    URL must never be benchmarked against), plus this run's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANZI_")}
    env.update(
        QUANZI_DATA_DIR=str(data_dir),
        QUANZI_HOST="127.0.0.1",
        QUANZI_PORT=str(port),
        QUANZI_LOG_LEVEL="warning",
        QUANZI_ACCESS_LOG="false",
        QUANZI_RATE_REGISTER_IP=UNLIMITED_RATE,
        QUANZI_RATE_LOGIN_IP=UNLIMITED_RATE,
        QUANZI_RATE_LOGIN_ACCOUNT=UNLIMITED_RATE,
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def quanzi_server(
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 60.0,
    prepare: Callable[[Path], object] | None = None,
) -> Iterator[Server]:
    """`quanzi migrate` then `quanzi serve` on a free loopback port and a fresh temporary data
    directory; ready when /readyz answers 200. Stopped and removed on exit, whatever happens.
    `prepare(data_dir)` runs first, e.g. to put a pre-made database there."""
    tmp = Path(tempfile.mkdtemp(prefix="quanzi-bench-"))
    port = free_port()
    data_dir = tmp / "data"
    env = server_env(port, data_dir, extra_env or {})
    log_path = tmp / "server.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        if prepare is not None:
            prepare(data_dir)
        migrate(env, tmp, timeout=120)
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [*quanzi_command(), "serve"],
                env=env,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal goes to us, we stop it
            )
        server = Server(process, "127.0.0.1", port, data_dir, log_path)
        _wait_ready(server, ready_timeout)
        rss_mib = server.rss_kib() / 1024
        log(f"server pid {server.pid} ready at {server.base_url}, RSS {rss_mib:.1f} MiB")
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        server.check_alive()
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _ = http_json(server, "GET", "/readyz", timeout=2)
            if status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not ready in {timeout} s:\n{server.log_tail()}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        log(f"server pid {process.pid} did not stop in 20 s; killing it")
        process.kill()
        process.wait(timeout=10)


# Setting up through the API


def http_json(
    server: Server,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    token: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """One request on a fresh connection (for setting up, not for measuring)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data: Any = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return response.status, data
    finally:
        conn.close()


def register_user(server: Server, handle: str) -> str:
    """Register `handle` and log in; the bearer token."""
    status, data = http_json(
        server,
        "POST",
        "/api/quanzi/v1/accounts",
        {"handle": handle, "password": PASSWORD, "display_name": handle.title()},
    )
    if status != 201:
        raise RuntimeError(f"registering {handle} answered {status}: {data}\n{server.log_tail()}")
    status, data = http_json(
        server,
        "POST",
        "/api/quanzi/v1/sessions",
        {"login": handle, "password": PASSWORD, "device_name": "bench"},
    )
    if status != 201:
        raise RuntimeError(f"logging in {handle} answered {status}: {data}\n{server.log_tail()}")
    token: str = data["token"]
    return token


def env_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """`--server-env QUANZI_X=VALUE` options as a mapping."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("QUANZI_"):
            raise ValueError(f"--server-env wants QUANZI_NAME=VALUE, not {pair!r}")
        env[key] = value
    return env


# Client worker processes


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop when it is installed, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def run_client(main: Coroutine[Any, Any, Any], pipe: multiprocessing.connection.Connection) -> None:
    """The body of a client process: run `main` (which answers commands over `pipe`); a
    failure goes back over the pipe as {"error": traceback}; the pipe is closed either way."""
    try:
        run_loop(main)
    except BaseException:
        pipe.send({"error": traceback.format_exc()})
    finally:
        pipe.close()


async def recv_async(conn: multiprocessing.connection.Connection) -> Any:
    """Wait on the event loop for a message from the parent process."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = conn.fileno()
    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
        # the loop made the pipe non-blocking; a large send() would then fail half-written
        os.set_blocking(fd, True)
    return conn.recv()


class Worker:
    """A client process (spawned, so it shares nothing with us) talking over a pipe."""

    def __init__(self, target: Callable[..., None], config: Mapping[str, Any], name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=target, args=(dict(config), child), name=name, daemon=True
        )
        self.process.start()
        child.close()
        self.name = name

    @property
    def pid(self) -> int:
        pid = self.process.pid
        assert pid is not None
        return pid

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def recv(self, timeout: float) -> Any:
        """The next message; fails if none comes in time or the process died."""
        deadline = time.monotonic() + timeout
        while not self.conn.poll(0.2):
            if not self.process.is_alive():
                raise RuntimeError(f"{self.name} exited with code {self.process.exitcode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not answer in {timeout} s")
        message = self.conn.recv()
        if isinstance(message, dict) and "error" in message:
            raise RuntimeError(f"{self.name} failed: {message['error']}")
        return message

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


@contextlib.contextmanager
def workers(
    target: Callable[..., None], configs: Sequence[Mapping[str, Any]], label: str
) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for i, config in enumerate(configs):
            started.append(Worker(target, config, f"{label}-{i}"))
        yield started
    finally:
        for worker in started:
            worker.stop()
