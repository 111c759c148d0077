"""How media looks to the outside."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from quanzi.db.models import Media
from quanzi.kit.wire import Id


class MediaRead(BaseModel):
    id: Id
    type: Literal["image"] = "image"
    content_type: str
    width: int
    height: int
    size: int
    animated: bool
    url: str
    thumbnail_url: str
    thumbnail_width: int
    thumbnail_height: int
    description: str | None  # alt text
    created_at: datetime

    @classmethod
    def of(cls, media: Media, base_url: str) -> MediaRead:
        url = f"{base_url}/media/{media.id}"
        return cls(
            id=media.id,
            content_type=media.content_type,
            width=media.width,
            height=media.height,
            size=media.size,
            animated=media.animated,
            url=url,
            thumbnail_url=f"{url}/thumb",
            thumbnail_width=media.thumb_width,
            thumbnail_height=media.thumb_height,
            description=media.description,
            created_at=media.created_at,
        )
