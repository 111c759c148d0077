"""Uploading media, reading its description, and serving its files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from quanzi.api.deps import IdempotencyHeader, MaybeViewer, ServicesDep, Viewer, idempotency_of
from quanzi.api.native.common import ERRORS, PREFIX, replayed
from quanzi.domain.media.actions import MAX_DESCRIPTION, do_describe_media, upload_image
from quanzi.domain.media.queries import access_media
from quanzi.domain.media.views import MediaRead
from quanzi.errors import NotFound
from quanzi.kit.wire import Id

router = APIRouter(prefix=PREFIX, tags=["media"], responses=ERRORS)  # type: ignore[arg-type]
files = APIRouter(tags=["media"], responses=ERRORS)  # type: ignore[arg-type]


@router.post("/media", status_code=201, summary="Upload an image (JPEG, PNG, WebP or GIF)")
async def upload(
    file: Annotated[UploadFile, File(description="The image")],
    request: Request,
    response: Response,
    viewer: Viewer,
    services: ServicesDep,
    description: Annotated[
        str | None, Form(description="Alt text: what the image shows, for who cannot see it")
    ] = None,
    key: IdempotencyHeader = None,
) -> MediaRead:
    raw = await file.read()
    media, again = await upload_image(
        services,
        viewer,
        raw,
        description=description,
        idempotency=await idempotency_of(request, key, viewer, raw),
    )
    replayed(response, again)
    return MediaRead.of(media, services.settings.public_base)


@router.get("/media/{media_id}", summary="Describe an uploaded image")
async def describe(media_id: Id, viewer: MaybeViewer, services: ServicesDep) -> MediaRead:
    async with services.read() as tx:
        media = await access_media(tx, viewer, media_id)
    return MediaRead.of(media, services.settings.public_base)


class Describe(BaseModel):
    description: str | None = Field(
        max_length=MAX_DESCRIPTION, description="Alt text; empty or null removes it"
    )


@router.patch("/media/{media_id}", summary="Change the alt text of one's own image")
async def describe_own(
    media_id: Id, body: Describe, viewer: Viewer, services: ServicesDep
) -> MediaRead:
    async with services.write() as tx:
        media = await do_describe_media(tx, viewer, media_id, body.description)
        read = MediaRead.of(media, services.settings.public_base)
    return read


async def _serve(
    media_id: int, thumb: bool, viewer: MaybeViewer, services: ServicesDep
) -> Response:
    async with services.read() as tx:
        media = await access_media(tx, viewer, media_id)
    key, content_type = (
        (media.thumb_key, media.thumb_content_type)
        if thumb
        else (media.file_key, media.content_type)
    )
    path = services.media_store.path(key)
    if not path.is_file():
        raise NotFound("No such media.")
    public = media.attached_to == "avatar"
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Cache-Control": "public, max-age=3600" if public else "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "inline",
        },
    )


@files.get("/media/{media_id}", summary="The image file", response_class=FileResponse)
async def serve_file(media_id: Id, viewer: MaybeViewer, services: ServicesDep) -> Response:
    return await _serve(media_id, False, viewer, services)


@files.get("/media/{media_id}/thumb", summary="The thumbnail file", response_class=FileResponse)
async def serve_thumbnail(media_id: Id, viewer: MaybeViewer, services: ServicesDep) -> Response:
    return await _serve(media_id, True, viewer, services)
