"""The web client: contacts (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.web.page import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
