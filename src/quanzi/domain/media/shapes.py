"""How media looks to the outside."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from quanzi.db.models import Media
from quanzi.domain.media.urls import Holder, MediaUrls
from quanzi.kit.wire import Id


class MediaRead(BaseModel):
    id: Id
    type: Literal["image"] = "image"
    content_type: str
    width: int
    height: int
    size: int
    animated: bool
    url: str  # signed: loads with no header, for as long as the image stays where it is shown
    thumbnail_url: str
    thumbnail_width: int
    thumbnail_height: int
    description: str | None  # alt text
    created_at: datetime

    @classmethod
    def of(cls, media: Media, urls: MediaUrls, holder: Holder) -> MediaRead:
        """`holder`: what the media is shown with (domain/media/urls.py)."""
        links = urls.links(media.id, holder)
        return cls(
            id=media.id,
            content_type=media.content_type,
            width=media.width,
            height=media.height,
            size=media.size,
            animated=media.animated,
            url=links.url,
            thumbnail_url=links.thumbnail_url,
            thumbnail_width=media.thumb_width,
            thumbnail_height=media.thumb_height,
            description=media.description,
            created_at=media.created_at,
        )
