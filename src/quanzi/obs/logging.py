"""Logs with the request id of the request being served: JSON for machines (one object a line),
or, on a terminal, lines for people (`QUANZI_LOG_FORMAT`: auto, json or console)."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

# ANSI styles of a request line by status class (2xx, 3xx, 4xx, 5xx).
_STATUS_STYLES = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[1;31m"}
_DIM, _RESET = "\x1b[2m", "\x1b[0m"


def chosen_format(fmt: str, stream: TextIO | None = None) -> str:
    """`auto` is `console` when the logs go to a terminal, `json` otherwise (a pipe, a file,
    a service manager's journal)."""
    if fmt != "auto":
        return fmt
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


class ForPeople:
    """A console renderer that writes a request as one short line, `12:03:04 GET /path 200 3 ms`
    (coloured by status on a terminal), and everything else as structlog's console lines."""

    def __init__(self, colors: bool) -> None:
        self.colors = colors
        self.rest = structlog.dev.ConsoleRenderer(colors=colors, pad_event_to=0)

    def __call__(self, logger: Any, name: str, event: structlog.typing.EventDict) -> str:
        if event.get("event") == "request" and "status" in event:
            return self.request_line(event)
        return str(self.rest(logger, name, event))

    def request_line(self, event: structlog.typing.EventDict) -> str:
        at, status = event.get("timestamp", ""), int(event.get("status", 0))
        what = f"{event.get('method', '')} {event.get('path', '')}"
        took = f"{float(event.get('ms', 0)):.0f} ms"
        if not self.colors:
            return f"{at} {what} {status} {took}"
        style = _STATUS_STYLES.get(status // 100, "")
        return f"{_DIM}{at}{_RESET} {what} {style}{status}{_RESET} {_DIM}{took}{_RESET}"


def configure(level: str = "info", fmt: str = "auto") -> None:
    console = chosen_format(fmt) == "console"
    renderer: structlog.typing.Processor = (
        ForPeople(colors=sys.stderr.isatty()) if console else structlog.processors.JSONRenderer()
    )
    # People read the local time of day; machines get ISO 8601 in UTC.
    stamp = (
        structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False)
        if console
        else structlog.processors.TimeStamper(fmt="iso", utc=True)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        stamp,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Route the standard library's records (uvicorn, SQLAlchemy, alembic) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # On a terminal, quanzi's own "started" and "stopped" say what uvicorn's lifecycle lines
    # ("Waiting for application startup." ...) would; its warnings and errors still show.
    logging.getLogger("uvicorn.error").setLevel(
        max(logging.WARNING, root.level) if console else logging.NOTSET
    )
    logging.getLogger("uvicorn.access").disabled = True  # quanzi writes its own access log
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
