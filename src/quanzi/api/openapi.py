"""The OpenAPI document: FastAPI's, plus the bearer-token security each operation needs.

Authentication is one flat dependency (see api/deps.py), so the security requirements are
added here from the routes' dependencies rather than by a security-scheme dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from quanzi.api.deps import optional_viewer, require_viewer

SCHEME = "bearer"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/quanzi/v1/sessions",
        }
        for route in routes:
            calls = set(_calls(route.dependant))
            if require_viewer in calls:
                security: list[dict[str, list[str]]] = [{SCHEME: []}]
            elif optional_viewer in calls:
                security = [{}, {SCHEME: []}]
            else:
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation["security"] = security
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
