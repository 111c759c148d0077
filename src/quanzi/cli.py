"""The `quanzi` command: serve | migrate | demo | user | jobs | doctor."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import getpass
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from quanzi import __version__
from quanzi.config import Settings, describe_errors
from quanzi.errors import QuanziError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from saq import Job

    from quanzi.jobs.queue import SqlQueue

app = typer.Typer(
    help="quanzi (圈子): a self-hostable social communication server.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
jobs_app = typer.Typer(
    help="See the durable job queue: what waits, what failed (the dead-letter list).",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; on a bad value, say which and stop."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        err.print("[bold red]quanzi cannot start: the configuration has errors[/]")
        for line in describe_errors(exc):
            err.print(f"  • {line}")
        err.print("See docs/configuration.md for every setting.")
        raise typer.Exit(2) from None


def run(settings: Settings, work: Callable[[object], Awaitable[T]]) -> T:
    """Run `work(services)` with the services started, for one-shot commands."""
    from quanzi.obs.logging import configure
    from quanzi.services import Services

    configure("warning", settings.log_format)

    async def main() -> T:
        services = Services(settings)
        await services.start()
        try:
            return await work(services)
        finally:
            await services.stop()

    try:
        return asyncio.run(main())
    except QuanziError as exc:
        err.print(f"[bold red]{exc.code}[/]: {exc.message}")
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Processes (more than 1 needs Redis)")] = 1,
) -> None:
    """Serve the web page, the API and the WebSocket stream."""
    import uvicorn

    from quanzi.obs.logging import configure

    settings = load_settings(host=host, port=port)
    configure(settings.log_level, settings.log_format)
    if workers > 1 and not settings.redis_url:
        err.print(
            "[bold red]quanzi cannot start:[/] several workers need QUANZI_REDIS_URL "
            "(the in-process event bus does not reach other processes)."
        )
        raise typer.Exit(2)
    todo = asyncio.run(_pending_migrations(settings))
    if todo:
        err.print(
            f"[bold red]quanzi cannot start:[/] the database schema is behind by {len(todo)} "
            "migration(s); run `quanzi migrate` first."
        )
        raise typer.Exit(2)
    # Listen before saying where: a taken port must not be announced as quanzi's, since a
    # newcomer would open whatever else answers there.
    try:
        listener = listen(settings.host, settings.port)
    except OSError as exc:
        err.print(cannot_listen(settings.host, settings.port, exc), soft_wrap=True)
        raise typer.Exit(2) from None
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"[bold green]quanzi {__version__}[/] on {settings.database_url.split('://')[0]}"
        f"{' + Redis' if settings.redis_url else ''}"
    )
    console.print(f"  web page   {base}/")
    console.print(f"  API docs   {base}/api/docs")
    console.print(f"  stream     ws://{settings.host}:{settings.port}/api/quanzi/v1/stream")
    console.print(f"  Mastodon   {base} (give apps this address; docs/mastodon.md)")
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "wsproto",  # ~25 KiB per idle socket, the least of uvicorn's implementations
        "ws_max_size": 64 * 1024,
        "ws_ping_interval": settings.ws_ping_interval,
        "ws_ping_timeout": settings.ws_ping_timeout,
        "lifespan": "on",
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "backlog": 4096,
    }
    # What uvicorn.run does, on the socket bound above.
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        os.environ["QUANZI_HOST"], os.environ["QUANZI_PORT"] = settings.host, str(settings.port)
        config = uvicorn.Config("quanzi.cli:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[listener]).run()
        return
    from quanzi.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))  # type: ignore[arg-type]
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    if not server.started:
        raise typer.Exit(3)  # as uvicorn.run exits when the application fails to start


def worker_app() -> FastAPI:
    """The application of each worker process of `serve --workers N`, whose logs go as the
    parent's do (the format and level of the settings)."""
    from quanzi.app import create_app
    from quanzi.obs.logging import configure

    settings = Settings()
    configure(settings.log_level, settings.log_format)
    return create_app(settings)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, as uvicorn binds one (so a port left in TIME_WAIT by a
    server that just stopped is not refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _free_port_after(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 50, 65536)):
        try:
            listen(host, candidate).close()
        except OSError:
            continue
        return candidate
    return None


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """What to tell a person whose server cannot listen, and what to do about it."""
    if exc.errno == errno.EADDRINUSE:
        other = _free_port_after(host, port) or port + 1
        return (
            f"[bold red]quanzi cannot start:[/] port {port} on {host} is in use (by another "
            f"program, or another quanzi). Start on another port with: "
            f"[bold]QUANZI_PORT={other} make run[/] (or [bold]quanzi serve --port {other}[/])."
        )
    if exc.errno == errno.EACCES:
        return (
            f"[bold red]quanzi cannot start:[/] this user may not listen on port {port} "
            f"(ports below 1024 need privileges). Choose another with QUANZI_PORT, e.g. "
            f"[bold]QUANZI_PORT=8000 make run[/]."
        )
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return (
            f"[bold red]quanzi cannot start:[/] {host} is not an address of this machine. "
            f"Set QUANZI_HOST to one that is (127.0.0.1 for this machine only, 0.0.0.0 for "
            f"every interface)."
        )
    return f"[bold red]quanzi cannot start:[/] cannot listen on {host}:{port}: {exc.strerror}."


async def _pending_migrations(settings: Settings) -> list[str]:
    from quanzi.db.engine import Database
    from quanzi.db.migrate import pending

    db = Database(settings.database_url)
    try:
        return await pending(db.writer)
    finally:
        await db.dispose()


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from quanzi.db.engine import Database
    from quanzi.db.migrate import pending, upgrade

    settings = load_settings()

    async def main() -> list[str]:
        db = Database(settings.database_url)
        try:
            todo = await pending(db.writer)
            await upgrade(db.writer)
            return todo
        finally:
            await db.dispose()

    todo = asyncio.run(main())
    console.print(f"Applied {len(todo)} migration(s)." if todo else "The schema is up to date.")


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only if there are no accounts")
    ] = False,
) -> None:
    """Seed a small demo world and print how to log in."""
    from quanzi.demo import seed

    settings = load_settings()
    people = run(settings, lambda services: seed(services, only_if_empty=if_empty))  # type: ignore[arg-type]
    if not people:
        console.print("The database already has accounts; no demo data added.")
        return
    table = Table(title="Demo accounts (password for all: see below)")
    for column in ("handle", "number", "name"):
        table.add_column(column)
    for person in people:
        table.add_row(person.handle, str(person.number), person.display_name)
    console.print(table)
    from quanzi.demo import DEMO_PASSWORD

    console.print(f"Log in with any handle above and the password [bold]{DEMO_PASSWORD}[/].")


@user_app.command("create")
def user_create(
    handle: str,
    display_name: Annotated[str | None, typer.Option(help="Defaults to the handle")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make an administrator")] = False,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="QUANZI_NEW_PASSWORD", help="Asked for when not given", show_default=False
        ),
    ] = None,
) -> None:
    """Create an account (whatever the registration mode)."""
    from quanzi.domain.accounts.actions import Registration, create_account

    settings = load_settings()
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            err.print("The passwords differ.")
            raise typer.Exit(1)
    reg = Registration(
        handle=handle, password=password, display_name=display_name or handle, email=email
    )
    account = run(settings, lambda s: create_account(s, reg, role="admin" if admin else "user"))  # type: ignore[arg-type]
    console.print(f"Created {account.handle} (number {account.number}, id {account.id}).")


@user_app.command("list")
def user_list(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
) -> None:
    """List accounts, newest first."""
    from sqlalchemy import select

    from quanzi.db.models import Account

    settings = load_settings()

    async def fetch(services: object) -> list[Account]:
        from quanzi.services import Services

        assert isinstance(services, Services)
        async with services.read() as tx:
            query = select(Account).order_by(Account.id.desc()).limit(limit)
            return list((await tx.session.execute(query)).scalars())

    accounts = run(settings, fetch)
    table = Table()
    for column in ("number", "handle", "name", "role", "status", "created"):
        table.add_column(column)
    for a in accounts:
        table.add_row(
            str(a.number),
            a.handle,
            a.display_name,
            a.role,
            a.status,
            a.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def _set_status(handle: str, status: str) -> None:
    from quanzi.domain.accounts.actions import do_set_status
    from quanzi.domain.accounts.queries import account_by_handle
    from quanzi.errors import NotFound

    settings = load_settings()

    async def change(services: object) -> None:
        from quanzi.services import Services

        assert isinstance(services, Services)
        async with services.write() as tx:
            account = await account_by_handle(tx, handle)
            if account is None:
                raise NotFound(f"No account {handle!r}.")
            await do_set_status(tx, account, status)

    run(settings, change)
    console.print(f"{handle} is now {status}.")


@user_app.command("disable")
def user_disable(handle: str) -> None:
    """Disable an account: it cannot log in and its sessions end (running servers stop
    accepting its tokens at once with Redis, else within QUANZI_SESSION_CACHE_SECONDS)."""
    _set_status(handle, "disabled")


@user_app.command("enable")
def user_enable(handle: str) -> None:
    """Enable a disabled account again."""
    _set_status(handle, "active")


JOB_STATES = {
    "queued": ["queued"],
    "active": ["active", "aborting"],
    "dead": ["failed", "aborted"],
    "complete": ["complete"],
    "all": ["queued", "active", "aborting", "failed", "aborted", "complete"],
}


def _on_queue(work: Callable[[SqlQueue], Awaitable[T]]) -> T:
    """Run `work(queue)` on the job queue of the configured database."""

    async def on(services: object) -> T:
        from quanzi.services import Services

        assert isinstance(services, Services)
        return await work(services.jobs.queue)

    return run(load_settings(), on)


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""  # a traceback's last line names the error


@jobs_app.command("list")
def jobs_list(
    state: Annotated[
        str, typer.Argument(help="queued | active | dead (failed or aborted) | complete | all")
    ] = "dead",
    limit: Annotated[int, typer.Option(help="How many, those due first")] = 50,
) -> None:
    """List jobs in a state; by default the dead-letter list (jobs that used all their
    attempts, or were aborted), with the last line of each one's error."""
    if state not in JOB_STATES:
        err.print(f"[bold red]unknown state {state!r}[/]: one of {', '.join(JOB_STATES)}")
        raise typer.Exit(2)
    jobs = _on_queue(lambda q: q.listing(JOB_STATES[state], limit=limit))
    table = Table()
    for column in ("key", "function", "status", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(
            job.key, job.function, job.status.value, str(job.attempts), _first_line(job.error)
        )
    console.print(table)
    console.print(f"{len(jobs)} job(s) {state}.")


@jobs_app.command("show")
def jobs_show(key: str) -> None:
    """Everything about one job, with its whole error."""
    job = _on_queue(lambda q: _existing(q, key))
    for name, value in job.to_dict().items():
        if name != "error":
            console.print(f"[bold]{name}[/]: {value}", highlight=False)
    console.print(f"[bold]status[/]: {job.status.value}")
    if job.error:
        console.print("[bold]error[/]:")
        console.print(job.error, highlight=False, markup=False)


@jobs_app.command("retry")
def jobs_retry(key: str) -> None:
    """Queue a dead job again, with all its attempts back."""
    from quanzi.errors import NotFound

    async def revive(queue: SqlQueue) -> None:
        if await queue.revive(key) is None:
            raise NotFound(f"No dead job {key!r} (see `quanzi jobs list dead`).")

    _on_queue(revive)
    console.print(f"{key} is queued again.")


@jobs_app.command("drop")
def jobs_drop(key: str) -> None:
    """Delete a dead job for good."""
    from quanzi.errors import NotFound

    async def drop(queue: SqlQueue) -> None:
        if not await queue.drop(key):
            raise NotFound(f"No dead job {key!r} (see `quanzi jobs list dead`).")

    _on_queue(drop)
    console.print(f"{key} is dropped.")


async def _existing(queue: SqlQueue, key: str) -> Job:
    from quanzi.errors import NotFound

    job = await queue.job(key)
    if job is None:
        raise NotFound(f"No job {key!r}.")
    return job


@app.command()
def doctor() -> None:
    """Check the configuration, database, Redis and media directory; say what is wrong."""
    from quanzi.doctor import diagnose

    settings = load_settings()
    problems = 0
    for ok, what, detail in asyncio.run(diagnose(settings)):
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        console.print(f"{mark} {what}: {detail}")
        problems += not ok
    if problems:
        console.print(f"[red]{problems} problem(s) found.[/]")
        raise typer.Exit(1)
    console.print("[green]All good.[/]")


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


def main() -> None:
    app(prog_name="quanzi")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]
