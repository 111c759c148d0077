"""Media: uploading an image (POST /api/v2/media, and v1) with its alt text (`description`),
reading and changing that (GET/PUT /api/v1/media/:id). Images are decoded, re-encoded and
stripped of metadata (GPS included) on upload, as through every door; processing is done by the
time the upload returns (200)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon.auth import ReadStatuses, WriteMedia
from quanzi.api.mastodon.common import V1, V2, MastodonRoute, MastoJSON, Params, path_id
from quanzi.api.mastodon.entities import Entity, media_meta
from quanzi.domain.media.actions import do_describe_media, upload_image
from quanzi.domain.media.queries import access_media, describe_media
from quanzi.domain.media.shapes import MediaRead
from quanzi.errors import Invalid

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)


def attachment(m: MediaRead) -> Entity:
    return {
        "id": str(m.id),
        "type": "gifv" if m.animated else "image",
        "url": m.url,
        "preview_url": m.thumbnail_url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": media_meta(m.width, m.height, (m.thumbnail_width, m.thumbnail_height)),
        "description": m.description,
        "blurhash": None,
    }


@router.post(f"{V2}/media")
@router.post(f"{V1}/media")
async def upload(request: Request, viewer: WriteMedia, services: ServicesDep) -> Response:
    params = await Params.of(request)
    file = params.values.get("file")
    if not isinstance(file, UploadFile):
        raise Invalid("Attach the image as the form field `file`.", code="file_missing")
    media, _ = await upload_image(
        services, viewer, await file.read(), description=params.text("description")
    )
    async with services.read() as tx:
        read = await describe_media(tx, media)
    return MastoJSON(attachment(read))


@router.get(f"{V1}/media/{{media_id}}")
async def describe(media_id: str, viewer: ReadStatuses, services: ServicesDep) -> Response:
    async with services.read() as tx:
        media = await access_media(tx, viewer, path_id(media_id))
        read = await describe_media(tx, media)
    return MastoJSON(attachment(read))


@router.put(f"{V1}/media/{{media_id}}")
async def update(
    media_id: str, request: Request, viewer: WriteMedia, services: ServicesDep
) -> Response:
    """Change the description (alt text); `focus` and `thumbnail` are not kept."""
    params = await Params.of(request)
    async with services.write() as tx:
        if "description" in params.values:
            media = await do_describe_media(
                tx, viewer, path_id(media_id), params.text("description")
            )
        else:
            media = await access_media(tx, viewer, path_id(media_id))
        read = await describe_media(tx, media)
    return MastoJSON(attachment(read))
