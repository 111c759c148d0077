"""Image decoding and re-encoding with Pillow. Pure: bytes in, bytes out.

Whatever the upload carried besides pixels (EXIF with GPS position and camera serial, XMP, ICC,
comments, trailing data) is dropped: every image is decoded and written anew from its pixels.
Orientation from EXIF is applied to the pixels first, so photos stay the right way up.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from quanzi.errors import Invalid, PayloadTooLarge, UnsupportedMedia

# Pillow format -> (content type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
THUMB_FORMAT = "WEBP"


@dataclass(frozen=True, slots=True)
class Limits:
    max_pixels: int
    max_frames: int
    max_side: int
    thumb_side: int


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    content_type: str
    ext: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Processed:
    main: Encoded
    thumb: Encoded
    animated: bool


def process_image(raw: bytes, limits: Limits) -> Processed:
    image = _open(raw, limits)
    fmt = image.format or ""
    frames = getattr(image, "n_frames", 1)
    animated = frames > 1 and fmt in ("GIF", "WEBP")
    try:
        if animated:
            main = _encode_animation(image, fmt, limits)
            first = ImageSequence.Iterator(image)[0].convert("RGBA")
        else:
            still = _upright(image)
            main = _encode_still(still, fmt, limits)
            first = still
        thumb = _encode_thumbnail(first, limits.thumb_side)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise Invalid("The image is damaged and cannot be read.", code="invalid_image") from None
    return Processed(main, thumb, animated)


def _open(raw: bytes, limits: Limits) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise _too_many_pixels(limits) from None
        except UnidentifiedImageError:
            raise UnsupportedMedia(
                "Only JPEG, PNG, WebP and GIF images are accepted.", code="unsupported_image"
            ) from None
        except (OSError, ValueError, SyntaxError, EOFError):
            raise Invalid(
                "The image is damaged and cannot be read.", code="invalid_image"
            ) from None
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width < 1 or height < 1 or width * height > limits.max_pixels:
        raise _too_many_pixels(limits)
    if frames > limits.max_frames or width * height * frames > limits.max_pixels * 4:
        raise PayloadTooLarge("The animation has too many frames.", code="too_many_frames")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise Invalid("The image is damaged and cannot be read.", code="invalid_image") from None
    return image


def _too_many_pixels(limits: Limits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The image has too many pixels (at most {limits.max_pixels}).", code="too_many_pixels"
    )


def _upright(image: Image.Image) -> Image.Image:
    turned = ImageOps.exif_transpose(image)
    return turned if turned is not None else image


def _normal_mode(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA", "P"):
        return image
    return image.convert("RGBA")


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _save(image: Image.Image, fmt: str, **params: object) -> Encoded:
    image.info = {}  # nothing from the upload may ride along into the new file
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    content_type, ext = FORMATS[fmt]
    return Encoded(out.getvalue(), content_type, ext, image.width, image.height)


def _encode_still(image: Image.Image, fmt: str, limits: Limits) -> Encoded:
    image = _fit(_normal_mode(image, fmt), limits.max_side)
    if fmt == "JPEG":
        return _save(image, fmt, quality=85, optimize=True, progressive=True)
    if fmt == "WEBP":
        return _save(image, fmt, quality=85, method=4)
    if fmt == "GIF":
        return _save(image, fmt)
    return _save(image, "PNG", optimize=False, compress_level=6)


def _encode_animation(image: Image.Image, fmt: str, limits: Limits) -> Encoded:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(_fit(frame.convert("RGBA"), limits.max_side))
        durations.append(int(frame.info.get("duration", 100)) or 100)
    loop = int(image.info.get("loop", 0))
    first, rest = frames[0], frames[1:]
    for frame in frames:
        frame.info = {}
    params: dict[str, object] = {
        "save_all": True,
        "append_images": rest,
        "duration": durations,
        "loop": loop,
    }
    if fmt == "WEBP":
        params.update(quality=80, method=4)
    else:
        params.update(disposal=2, optimize=False)
    return _save(first, fmt, **params)


def _encode_thumbnail(image: Image.Image, side: int) -> Encoded:
    thumb = image.convert("RGBA") if image.mode in ("P", "LA", "PA") else image
    if thumb.mode not in ("RGB", "RGBA", "L"):
        thumb = thumb.convert("RGB")
    thumb = _fit(thumb, side)
    return _save(thumb, THUMB_FORMAT, quality=80, method=4)
