"""Photos as WeChat lays them out, for every page that shows some (Moments, the square,
chat pictures): one photo at its own shape within a bounded box, 2 to 4 in two columns, 5 to 9
in three columns of square crops. `templates/_photos.html` draws them; `static/photos.js`
opens the viewer on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from quanzi.domain.chat.shapes import MessageRead, RecordItem
from quanzi.web.page import media_path, templates

ONE_SIDE = 224  # CSS pixels: the long side of a photo shown alone
MAX_RATIO = 2.5  # a photo shown alone is cropped to at most 2.5:1 (or 1:2.5)


class Shown(Protocol):
    """What a photo carries wherever it is shown (MediaRead, the square's MediaRef)."""

    @property
    def url(self) -> str: ...
    @property
    def thumbnail_url(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def width(self) -> int | None: ...
    @property
    def height(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Photo:
    url: str  # the full image (the viewer's), as a path of this site
    thumbnail_url: str
    caption: str  # the author's alt text, or ""
    width: int | None  # of the full image
    height: int | None


@dataclass(frozen=True, slots=True)
class Grid:
    photos: list[Photo]
    columns: int  # 1, 2 or 3
    box: tuple[int, int] | None  # one photo of known size: its width and height on the page


def grid(media: Iterable[Shown]) -> Grid:
    photos = [
        Photo(
            url=media_path(m.url) or "",
            thumbnail_url=media_path(m.thumbnail_url) or "",
            caption=m.description or "",
            width=m.width,
            height=m.height,
        )
        for m in media
    ]
    n = len(photos)
    columns = 1 if n == 1 else 2 if n <= 4 else 3
    box = one_box(photos[0].width, photos[0].height) if n == 1 else None
    return Grid(photos, columns, box)


def one_box(width: int | None, height: int | None) -> tuple[int, int] | None:
    """The size of a photo shown alone: its shape, cropped to MAX_RATIO, with its long side
    ONE_SIDE; None when its size is not known (then CSS bounds it as it loads)."""
    if not width or not height:
        return None
    ratio = min(max(width / height, 1 / MAX_RATIO), MAX_RATIO)
    if ratio >= 1:
        return ONE_SIDE, max(1, round(ONE_SIDE / ratio))
    return max(1, round(ONE_SIDE * ratio)), ONE_SIDE


def message_grid(
    m: MessageRead | RecordItem, sizes: Mapping[int, tuple[int, int]] | None = None
) -> Grid:
    """A chat picture (or one in a chat record), as a grid of one, in its box when its size
    is among `sizes` (the message does not carry it; see `image_sizes`)."""
    width, height = (sizes or {}).get(m.media_id or 0, (None, None))
    photo = Photo(
        media_path(m.media_url) or "", media_path(m.thumbnail_url) or "", "", width, height
    )
    return Grid([photo], 1, one_box(width, height))


templates.globals.update(photo_grid_of=grid, message_photo_grid=message_grid)
