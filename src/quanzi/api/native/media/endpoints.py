"""Uploading media, reading its description, and serving its files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from quanzi.api.deps import (
    IdempotencyHeader,
    MaybeViewer,
    ServicesDep,
    Viewer,
    idempotency_of,
    replayed,
)
from quanzi.api.native.common import ERRORS, PREFIX
from quanzi.domain.media.actions import MAX_DESCRIPTION, do_describe_media, upload_image
from quanzi.domain.media.queries import access_media, describe_media, media_by_url
from quanzi.domain.media.shapes import MediaRead
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
    async with services.read() as tx:
        return await describe_media(tx, media)


@router.get(
    "/media/{media_id}",
    summary="Describe an image: its size, alt text and (signed) URLs",
    description="For whoever may see the image (its owner; whoever may see what it is shown "
    "with). The URLs load without any header: see `GET /media/{media_id}/{token}`.",
)
async def describe(media_id: Id, viewer: MaybeViewer, services: ServicesDep) -> MediaRead:
    async with services.read() as tx:
        media = await access_media(tx, viewer, media_id)
        return await describe_media(tx, media)


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
        return await describe_media(tx, media)


# The files. Their URLs are capabilities (domain/media/urls.py): they need no header and take
# none, and a URL that does not work now answers exactly as a missing media does.

FILE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}
# What a URL serves never changes (it stops working instead): browsers and apps may keep it.
# Avatars may be kept by shared caches too, for a while, as they are public.
PRIVATE_CACHE = "private, max-age=604800, immutable"
PUBLIC_CACHE = "public, max-age=3600"


async def _serve(media_id: str, token: str, thumb: bool, services: ServicesDep) -> Response:
    async with services.read() as tx:
        media = await media_by_url(tx, services.media_urls, media_id, token)
    key, content_type = (
        (media.thumb_key, media.thumb_content_type)
        if thumb
        else (media.file_key, media.content_type)
    )
    path = services.media_store.path(key)
    if not path.is_file():
        raise NotFound("No such media.")
    cache = PUBLIC_CACHE if media.attached_to == "avatar" else PRIVATE_CACHE
    return FileResponse(
        path, media_type=content_type, headers={**FILE_HEADERS, "Cache-Control": cache}
    )


@files.get(
    "/media/{media_id}/{token}",
    summary="The image file, by its signed URL",
    description="The `url` of a media as the API renders it. Needs no header; answers 404 "
    "once the image is deleted or leaves what it was shown with.",
    response_class=FileResponse,
)
async def serve_file(media_id: str, token: str, services: ServicesDep) -> Response:
    return await _serve(media_id, token, False, services)


@files.get(
    "/media/{media_id}/{token}/thumb",
    summary="The thumbnail file, by its signed URL",
    response_class=FileResponse,
)
async def serve_thumbnail(media_id: str, token: str, services: ServicesDep) -> Response:
    return await _serve(media_id, token, True, services)


@files.get("/media/{anything:path}", include_in_schema=False)
async def no_such_file(anything: str) -> Response:
    """Every other address under /media (unsigned, cut short, too long) is missing alike."""
    raise NotFound("No such media.")
