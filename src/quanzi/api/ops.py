"""For operators and load balancers: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from quanzi.api.deps import ServicesDep
from quanzi.errors import Unauthorized
from quanzi.obs.metrics import REGISTRY

router = APIRouter(tags=["operations"], include_in_schema=True)


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database (and Redis, when configured) answer")
async def readyz(services: ServicesDep) -> Response:
    report = await services.readiness()
    ready = all(value == "ok" for value in report.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": report},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", summary="Prometheus metrics of this process", response_class=Response)
async def prometheus(request: Request, services: ServicesDep) -> Response:
    token = services.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("Metrics need the metrics token.")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
