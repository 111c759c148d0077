"""Prometheus metrics of this process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "quanzi_http_requests",
    "HTTP requests served, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
http_latency = Histogram(
    "quanzi_http_request_duration_seconds",
    "Time from request start to the end of the response.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ws_open = Gauge(
    "quanzi_websockets_open",
    "Streams of people open on this process (native and Mastodon sockets, event streams).",
    registry=REGISTRY,
)
ws_dropped = Counter(
    "quanzi_websockets_dropped",
    "Stream connections closed by the server, by reason.",
    ["reason"],
    registry=REGISTRY,
)
events_delivered = Counter(
    "quanzi_events_delivered",
    "Event frames queued to stream connections on this process.",
    registry=REGISTRY,
)
bus_published = Counter(
    "quanzi_bus_published", "Events published on the bus by this process.", registry=REGISTRY
)
bus_errors = Counter(
    "quanzi_bus_errors", "Bus publish or subscribe failures.", ["op"], registry=REGISTRY
)
bus_lag = Histogram(
    "quanzi_bus_lag_seconds",
    "Time from publish in one process to receipt in this one (Redis bus).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
    registry=REGISTRY,
)
jobs_finished = Counter(
    "quanzi_jobs_finished",
    "Jobs this process finished, by function and outcome (complete, failed, aborted).",
    ["function", "status"],
    registry=REGISTRY,
)
jobs_retried = Counter(
    "quanzi_jobs_retried",
    "Job attempts that failed (or whose process died) and were queued again, by function.",
    ["function"],
    registry=REGISTRY,
)
job_seconds = Histogram(
    "quanzi_job_duration_seconds",
    "Time a job's function ran, by function.",
    ["function"],
    buckets=(0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600),
    registry=REGISTRY,
)
jobs_waiting = Gauge(
    "quanzi_jobs",
    "Jobs in the queue by status (queued, active; failed and aborted: the dead-letter list), "
    "as this process last counted them.",
    ["status"],
    registry=REGISTRY,
)
