"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from websockets.asyncio.client import connect

from quanzi.app import create_app
from quanzi.config import Settings
from tests.helpers import Personas


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one Prometheus sample in an exposition text."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.json() == {"status": "ok"}


async def test_readyz_reports_each_part(client: httpx.AsyncClient, settings: Settings) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    expected = {"database": "ok"} | ({"redis": "ok"} if settings.redis_url else {})
    assert r.json() == {"status": "ok", "checks": expected}


async def test_readyz_is_503_when_redis_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    app = create_app(broken)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unreachable")


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, people: Personas
) -> None:
    me = await people.register("metered")
    before = (
        sample(
            (await client.get("/metrics")).text,
            "quanzi_http_requests_total",
            route="/api/quanzi/v1/accounts/{account_id}",
            status="200",
        )
        or 0
    )
    for _ in range(3):
        await client.get(f"/api/quanzi/v1/accounts/{me.id}")
    text = (await client.get("/metrics")).text
    after = sample(
        text,
        "quanzi_http_requests_total",
        route="/api/quanzi/v1/accounts/{account_id}",
        status="200",
    )
    assert after == before + 3
    assert me.id not in text  # raw paths never become labels
    assert (
        sample(
            text,
            "quanzi_http_request_duration_seconds_count",
            route="/api/quanzi/v1/accounts/{account_id}",
        )
        is not None
    )


async def test_metrics_count_open_sockets(live: str, people: Personas) -> None:
    me = await people.register("socketcount")
    async with httpx.AsyncClient() as c:
        base = sample((await c.get(f"{live}/metrics")).text, "quanzi_websockets_open") or 0
        url = live.replace("http", "ws") + f"/api/quanzi/v1/stream?access_token={me.token}"
        async with connect(url) as ws:
            await ws.recv()
            during = sample((await c.get(f"{live}/metrics")).text, "quanzi_websockets_open")
        await asyncio.sleep(0.2)
        after = sample((await c.get(f"{live}/metrics")).text, "quanzi_websockets_open")
    assert during == base + 1
    assert after == base


async def test_bus_lag_is_measured_between_processes(
    app: FastAPI, settings: Settings, people: Personas
) -> None:
    """With Redis, an event published by one app instance reaches another, and the time it
    took is recorded. (Embedded, there is no second process to reach.)"""
    if not settings.redis_url:
        assert app.state.services.bus.name == "memory"
        return
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            before = sample((await c.get("/metrics")).text, "quanzi_bus_lag_seconds_count") or 0
            seen: list[str] = []
            other.state.services.bus.subscribe(lambda e: seen.append(e.type))
            me = await people.register("laggy")
            await people.client.patch(
                "/api/quanzi/v1/accounts/me", json={"bio": "x"}, headers=me.auth
            )
            for _ in range(100):
                if "account.updated" in seen:
                    break
                await asyncio.sleep(0.02)
            after = sample((await c.get("/metrics")).text, "quanzi_bus_lag_seconds_count")
    assert "account.updated" in seen
    assert after is not None and after > before


async def test_metrics_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    from pydantic import SecretStr

    app.state.services.settings.metrics_token = SecretStr("m" * 20)
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = await client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 20}"})
    assert ok.status_code == 200
    assert "quanzi_http_requests_total" in ok.text
    assert ok.headers["content-type"].startswith("text/plain")
