"""Uploading a photo from a composer (Moments, the square), one request per photo.

`static/uploads.js` shrinks each photo in the browser, sends it here with a progress bar,
and posts the form with the ids it got back; the form's rules (how many photos, whose they
are, used once) stay with posting, which claims them (`domain/media/claims.py`). This is the
domain's `upload_image`, the one the API's `POST /media` calls: the server decodes, re-encodes
and strips every image again, whatever the browser did.

Answers are JSON for the script: `{id, thumbnail_url, width, height}`, or `{error: {code,
message}}` with the message in the person's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse, Response

from quanzi.domain.media.actions import upload_image
from quanzi.domain.media.shapes import MediaRead
from quanzi.domain.media.urls import UPLOAD, Holder
from quanzi.errors import Invalid, QuanziError
from quanzi.web.i18n import _
from quanzi.web.page import MemberPage, Page, WebRoute, finish, media_path, translate_error

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def refusal(exc: QuanziError) -> str:
    """What to tell the person about a photo the server would not take, in their language
    (the domain's messages about sizes carry numbers, so these are said by code here)."""
    if exc.code in ("too_large", "too_many_pixels", "too_many_frames"):
        return _("This photo is too large.")
    if exc.code in ("unsupported_image", "unsupported_media"):
        return _("Only JPEG, PNG, WebP and GIF images are accepted.")
    if exc.code == "invalid_image":
        return _("The image is damaged and cannot be read.")
    return translate_error(exc)


@router.post("/uploads")
async def upload(page: MemberPage, file: Annotated[UploadFile, File()]) -> Response:
    try:
        media, _replayed = await upload_image(page.services, page.principal, await file.read())
    except QuanziError as exc:
        body = {"error": {"code": exc.code, "message": refusal(exc)}}
        return finish(page, JSONResponse(body, status_code=exc.status))
    shown = MediaRead.of(media, page.services.media_urls, Holder(UPLOAD, media.owner_id))
    return finish(
        page,
        JSONResponse(
            {
                "id": str(media.id),
                "thumbnail_url": media_path(shown.thumbnail_url),
                "width": media.width,
                "height": media.height,
            },
            status_code=201,
        ),
    )


async def photo_ids(
    page: Page,
    uploaded: list[int] | None,
    files: list[UploadFile] | None,
    *,
    most: int,
    too_many: str,
) -> list[int]:
    """The photos a composer sends: the ids the script uploaded (`media_ids`), then any files
    sent with the form itself (without script), uploaded now. More than `most` is refused
    before any file is read; posting claims them and checks the rest."""
    chosen = [f for f in files or [] if f.filename]
    ids = list(uploaded or [])
    if len(ids) + len(chosen) > most:
        raise Invalid(too_many, code="too_many_media")
    for photo in chosen:
        media, _replayed = await upload_image(page.services, page.principal, await photo.read())
        ids.append(media.id)
    return ids
