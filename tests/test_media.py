"""Media uploads: decoded, re-encoded, stripped, thumbnailed, served safely."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from tests.helpers import (
    Personas,
    User,
    animated_gif,
    encode,
    jpeg_with_gps,
    metadata_markers,
    picture,
    png_with_text,
)


async def upload(
    c: httpx.AsyncClient,
    user: User,
    data: bytes,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    return await c.post(
        "/api/v1/media", files={"file": (name, data, content_type)}, headers=user.auth
    )


async def fetch(c: httpx.AsyncClient, user: User, url: str) -> httpx.Response:
    return await c.get(url.removeprefix("http://testserver"), headers=user.auth)


async def test_jpeg_loses_exif_gps_and_xmp(people: Personas) -> None:
    me = await people.register("photographer")
    original = jpeg_with_gps()
    assert set(metadata_markers(original)) >= {"SecretCam", "SERIAL-12345", "SECRET-XMP"}
    r = await upload(people.client, me, original)
    assert r.status_code == 201, r.text
    media = r.json()
    assert (media["content_type"], media["width"], media["height"]) == ("image/jpeg", 64, 48)
    served = await fetch(people.client, me, media["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert metadata_markers(served.content) == []
    decoded = Image.open(io.BytesIO(served.content))
    assert decoded.format == "JPEG"
    assert not decoded.getexif()
    assert decoded.size == (64, 48)


async def test_exif_orientation_is_applied_to_the_pixels(people: Personas) -> None:
    me = await people.register("rotator")
    r = await upload(people.client, me, jpeg_with_gps((64, 48), orientation=6))  # 90° clockwise
    assert (r.json()["width"], r.json()["height"]) == (48, 64)


async def test_png_text_chunks_are_dropped(people: Personas) -> None:
    me = await people.register("pnguser")
    r = await upload(people.client, me, png_with_text(), "x.png", "image/png")
    assert r.status_code == 201
    served = await fetch(people.client, me, r.json()["url"])
    assert served.headers["content-type"] == "image/png"
    assert metadata_markers(served.content) == []
    assert Image.open(io.BytesIO(served.content)).mode == "RGBA"


async def test_animated_gif_keeps_its_frames(people: Personas) -> None:
    me = await people.register("gifuser")
    r = await upload(people.client, me, animated_gif(4), "a.gif", "image/gif")
    assert r.status_code == 201
    assert r.json()["animated"] is True
    served = await fetch(people.client, me, r.json()["url"])
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "GIF"
    assert image.n_frames == 4
    assert metadata_markers(served.content) == []


async def test_webp_upload(people: Personas) -> None:
    me = await people.register("webpuser")
    r = await upload(people.client, me, encode(picture(), "WEBP"), "a.webp", "image/webp")
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/webp"


async def test_thumbnail_is_small_webp(people: Personas) -> None:
    me = await people.register("big")
    r = await upload(people.client, me, encode(picture((1200, 900)), "JPEG"))
    media = r.json()
    assert (media["thumbnail_width"], media["thumbnail_height"]) == (400, 300)
    thumb = await fetch(people.client, me, media["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(thumb.content)).size == (400, 300)


async def test_content_type_follows_the_decoded_image_not_the_client(people: Personas) -> None:
    me = await people.register("liar")
    r = await upload(people.client, me, encode(picture(), "PNG"), "evil.jpg", "image/jpeg")
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/png"
    served = await fetch(people.client, me, r.json()["url"])
    assert served.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "page.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
        (b"%PDF-1.4 not an image", "doc.png"),
        (b"", "empty.png"),
    ],
)
async def test_what_is_not_an_image_is_refused(people: Personas, data: bytes, name: str) -> None:
    me = await people.register("sneaky")
    r = await upload(people.client, me, data, name)
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_image"


async def test_bmp_and_tiff_are_refused(people: Personas) -> None:
    me = await people.register("oldformats")
    for fmt in ("BMP", "TIFF"):
        r = await upload(people.client, me, encode(picture(), fmt), f"x.{fmt.lower()}")
        assert r.status_code == 415, fmt


async def test_truncated_image_is_refused(people: Personas) -> None:
    me = await people.register("truncator")
    data = encode(picture((300, 300)), "PNG")
    r = await upload(people.client, me, data[: len(data) // 2], "half.png")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_image"


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


async def test_decompression_bomb_is_refused_before_decoding(people: Personas) -> None:
    me = await people.register("bomber")
    bomb = _png_claiming(60_000, 60_000)
    assert len(bomb) < 2_000
    r = await upload(people.client, me, bomb, "bomb.png")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_many_pixels"


async def test_oversized_upload_is_refused(app: FastAPI, people: Personas) -> None:
    me = await people.register("heavy")
    app.state.services.settings.media_max_bytes = 10_000
    big = encode(Image.effect_noise((200, 200), 100).convert("RGB"), "PNG")
    assert len(big) > 10_000
    r = await upload(people.client, me, big, "big.png")
    assert r.status_code == 413


async def test_client_file_name_never_reaches_the_disk(app: FastAPI, people: Personas) -> None:
    me = await people.register("traverser")
    r = await upload(people.client, me, encode(picture(), "PNG"), "../../../../tmp/pwned.png")
    assert r.status_code == 201
    media_dir: Path = app.state.services.settings.media_path
    names = [p.name for p in media_dir.rglob("*") if p.is_file()]
    assert names and all("pwned" not in n for n in names)
    assert not Path("/tmp/pwned.png").exists()


async def test_unattached_media_is_only_the_owners(people: Personas) -> None:
    me = await people.register("owner")
    stranger = await people.register("stranger")
    r = await upload(people.client, me, encode(picture(), "PNG"), "mine.png")
    media = r.json()
    c = people.client
    assert (await fetch(c, me, media["url"])).status_code == 200
    for url in (media["url"], media["thumbnail_url"], f"/api/v1/media/{media['id']}"):
        hidden = await fetch(c, stranger, url)
        missing = await fetch(c, stranger, url.replace(media["id"], "1234567"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        assert (await c.get(url.removeprefix("http://testserver"))).status_code == 404


async def test_upload_needs_login(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/media", files={"file": ("a.png", encode(picture(), "PNG"), "image/png")}
    )
    assert r.status_code == 401


async def test_upload_without_file_is_a_clear_error(people: Personas) -> None:
    me = await people.register("nofile")
    r = await people.client.post("/api/v1/media", data={"other": "x"}, headers=me.auth)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


async def test_served_files_are_sandboxed(people: Personas) -> None:
    me = await people.register("sandboxed")
    r = await upload(people.client, me, encode(picture(), "GIF"), "a.gif")
    served = await fetch(people.client, me, r.json()["url"])
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["cache-control"].startswith("private")
