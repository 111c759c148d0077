"""Media uploads: decoded, re-encoded, stripped, thumbnailed, served safely."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from quanzi.domain.media.sweep import sweep_unattached
from tests.chat_helpers import people_with_chat
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
        "/api/quanzi/v1/media", files={"file": (name, data, content_type)}, headers=user.auth
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
    for url in (media["url"], media["thumbnail_url"], f"/api/quanzi/v1/media/{media['id']}"):
        hidden = await fetch(c, stranger, url)
        missing = await fetch(c, stranger, url.replace(media["id"], "1234567"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        assert (await c.get(url.removeprefix("http://testserver"))).status_code == 404


async def test_upload_needs_login(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/quanzi/v1/media", files={"file": ("a.png", encode(picture(), "PNG"), "image/png")}
    )
    assert r.status_code == 401


async def test_upload_without_file_is_a_clear_error(people: Personas) -> None:
    me = await people.register("nofile")
    r = await people.client.post("/api/quanzi/v1/media", data={"other": "x"}, headers=me.auth)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


async def test_served_files_are_sandboxed(people: Personas) -> None:
    me = await people.register("sandboxed")
    r = await upload(people.client, me, encode(picture(), "GIF"), "a.gif")
    served = await fetch(people.client, me, r.json()["url"])
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["cache-control"].startswith("private")


# Media attached to nothing is erased once old enough (domain/media/sweep.py)


async def swept_a_day_later(app: FastAPI) -> int:
    later = datetime.now(UTC) + timedelta(hours=25)
    return await sweep_unattached(app.state.services, now=later)


def stored_files(app: FastAPI) -> list[Path]:
    root: Path = app.state.services.settings.media_path
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]


async def test_unused_and_deleted_images_are_erased_a_day_on(
    app: FastAPI, people: Personas
) -> None:
    me = await people.register("sweeper")
    c = people.client

    async def image() -> dict[str, Any]:
        r = await upload(c, me, encode(picture(), "PNG"), "p.png")
        assert r.status_code == 201, r.text
        return dict(r.json())

    never_used, of_deleted_post, of_live_post, avatar, old_avatar = [await image() for _ in "12345"]
    posted = await c.post(
        "/api/quanzi/v1/posts",
        json={"text": "会删", "media_ids": [of_deleted_post["id"]]},
        headers=me.auth,
    )
    kept = await c.post(
        "/api/quanzi/v1/posts",
        json={"text": "留着", "media_ids": [of_live_post["id"]]},
        headers=me.auth,
    )
    assert posted.status_code == kept.status_code == 201
    assert (
        await c.delete(f"/api/quanzi/v1/posts/{posted.json()['id']}", headers=me.auth)
    ).status_code == 204
    for chosen in (old_avatar, avatar):
        r = await c.patch(
            "/api/quanzi/v1/accounts/me", json={"avatar_id": chosen["id"]}, headers=me.auth
        )
        assert r.status_code == 200, r.text
    stored = len(stored_files(app))
    assert stored == 10  # five images, each with its thumbnail

    # nothing is young enough to go yet
    assert await sweep_unattached(app.state.services) == 0
    assert await swept_a_day_later(app) == 3
    for gone in (never_used, of_deleted_post, old_avatar):
        for url in (gone["url"], gone["thumbnail_url"], f"/api/quanzi/v1/media/{gone['id']}"):
            assert (await fetch(c, me, url)).status_code == 404, url
    for used in (of_live_post, avatar):
        assert (await fetch(c, me, used["url"])).status_code == 200
    assert len(stored_files(app)) == stored - 6
    assert await swept_a_day_later(app) == 0


async def test_an_edited_posts_earlier_images_stay_with_its_history(
    app: FastAPI, people: Personas
) -> None:
    me = await people.register("editor")
    reader = await people.register("reader")
    c = people.client
    first, second = [(await upload(c, me, encode(picture(), "PNG"), "p.png")).json() for _ in "12"]
    r = await c.post(
        "/api/quanzi/v1/posts", json={"text": "第一版", "media_ids": [first["id"]]}, headers=me.auth
    )
    post = r.json()["id"]
    r = await c.patch(
        f"/api/quanzi/v1/posts/{post}",
        json={"text": "第二版", "media_ids": [second["id"]]},
        headers=me.auth,
    )
    assert r.status_code == 200, r.text
    r = await c.patch(
        f"/api/quanzi/v1/posts/{post}", json={"text": "第三版", "media_ids": []}, headers=me.auth
    )
    assert r.status_code == 200, r.text
    history = (await c.get(f"/api/quanzi/v1/posts/{post}/history", headers=reader.auth)).json()[
        "items"
    ]
    assert [[m["id"] for m in v["media"]] for v in history] == [[second["id"]], [first["id"]]]
    assert await swept_a_day_later(app) == 0
    for version in history:
        assert (await fetch(c, reader, version["media"][0]["url"])).status_code == 200
    # an image from an earlier version can be used again in the post
    r = await c.patch(
        f"/api/quanzi/v1/posts/{post}",
        json={"text": "第四版", "media_ids": [first["id"]]},
        headers=me.auth,
    )
    assert r.status_code == 200, r.text

    assert (await c.delete(f"/api/quanzi/v1/posts/{post}", headers=me.auth)).status_code == 204
    assert await swept_a_day_later(app) == 2
    for image in (first, second):
        assert (await fetch(c, me, image["url"])).status_code == 404


async def test_a_replaced_group_avatar_goes_back_to_its_uploader(
    app: FastAPI, people: Personas
) -> None:
    owner, bob = await people_with_chat(people, "gowner", "gbob")
    await owner.befriend(bob)
    c = people.client
    old, new = [
        (await upload(c, owner.user, encode(picture(), "PNG"), "g.png")).json() for _ in "12"
    ]
    first = await owner.group_id(bob, avatar_id=old["id"])
    second = await owner.group_id(bob, avatar_id=old["id"])  # the same picture for two groups
    r = await owner.call("PATCH", f"/conversations/{first}", json={"avatar_id": new["id"]})
    assert r.status_code == 200, r.text
    assert (await fetch(c, bob.user, old["url"])).status_code == 200  # still the other group's
    r = await owner.call("PATCH", f"/conversations/{second}", json={"avatar_id": new["id"]})
    assert r.status_code == 200, r.text
    assert (await fetch(c, bob.user, old["url"])).status_code == 404
    assert (await fetch(c, bob.user, new["url"])).status_code == 200
    assert await swept_a_day_later(app) == 1
    assert (await fetch(c, owner.user, old["url"])).status_code == 404
