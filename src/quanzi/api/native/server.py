"""What a client needs to know about this server before it starts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from quanzi import __version__
from quanzi.api.deps import ServicesDep
from quanzi.api.native.common import PREFIX


class Limits(BaseModel):
    display_name_max: int
    bio_max: int
    password_min_length: int
    media_max_bytes: int
    media_max_pixels: int


class ServerInfo(BaseModel):
    name: Literal["quanzi"] = "quanzi"
    version: str
    registration: Literal["open", "closed", "invite"]
    limits: Limits


router = APIRouter(prefix=PREFIX, tags=["server"])


@router.get("/server", summary="Version, registration mode and limits")
async def server_info(services: ServicesDep) -> ServerInfo:
    s = services.settings
    return ServerInfo(
        version=__version__,
        registration=s.registration,
        limits=Limits(
            display_name_max=s.display_name_max,
            bio_max=s.bio_max,
            password_min_length=s.password_min_length,
            media_max_bytes=s.media_max_bytes,
            media_max_pixels=s.media_max_pixels,
        ),
    )
