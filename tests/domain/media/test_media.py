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
from quanzi.domain.media.urls import Holder, MediaUrls
from tests.api.native.test_stream import open_stream, recv
from tests.chat_helpers import people_with_chat
from tests.helpers import (
    MISSING_FILE,
    Personas,
    User,
    animated_gif,
    answer,
    assert_missing_file,
    encode,
    jpeg_with_gps,
    load_file,
    metadata_markers,
    picture,
    png_with_text,
)

API = "/api/quanzi/v1"


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


async def image(c: httpx.AsyncClient, user: User) -> dict[str, Any]:
    r = await upload(c, user, encode(picture(), "PNG"), "p.png")
    assert r.status_code == 201, r.text
    return dict(r.json())


async def described(c: httpx.AsyncClient, user: User, media_id: str) -> dict[str, Any]:
    r = await c.get(f"{API}/media/{media_id}", headers=user.auth)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def assert_loads(c: httpx.AsyncClient, *urls: str) -> None:
    for url in urls:
        r = await load_file(c, url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["content-type"].startswith("image/"), url


async def test_jpeg_loses_exif_gps_and_xmp(people: Personas) -> None:
    me = await people.register("photographer")
    original = jpeg_with_gps()
    assert set(metadata_markers(original)) >= {"SecretCam", "SERIAL-12345", "SECRET-XMP"}
    r = await upload(people.client, me, original)
    assert r.status_code == 201, r.text
    media = r.json()
    assert (media["content_type"], media["width"], media["height"]) == ("image/jpeg", 64, 48)
    served = await load_file(people.client, media["url"])
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
    served = await load_file(people.client, r.json()["url"])
    assert served.headers["content-type"] == "image/png"
    assert metadata_markers(served.content) == []
    assert Image.open(io.BytesIO(served.content)).mode == "RGBA"


async def test_animated_gif_keeps_its_frames(people: Personas) -> None:
    me = await people.register("gifuser")
    r = await upload(people.client, me, animated_gif(4), "a.gif", "image/gif")
    assert r.status_code == 201
    assert r.json()["animated"] is True
    served = await load_file(people.client, r.json()["url"])
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
    thumb = await load_file(people.client, media["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(thumb.content)).size == (400, 300)


async def test_content_type_follows_the_decoded_image_not_the_client(people: Personas) -> None:
    me = await people.register("liar")
    r = await upload(people.client, me, encode(picture(), "PNG"), "evil.jpg", "image/jpeg")
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/png"
    served = await load_file(people.client, r.json()["url"])
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


async def test_an_upload_loads_with_no_header_before_it_is_posted(people: Personas) -> None:
    """What an app shows while its user writes the post: the upload's own URLs, in a plain
    image view (no header), or with whatever token the app sends along."""
    me = await people.register("composer")
    media = await image(people.client, me)
    await assert_loads(people.client, media["url"], media["thumbnail_url"])
    with_a_token = await people.client.get(
        media["url"].removeprefix("http://testserver"), headers={"Authorization": "Bearer x"}
    )
    assert with_a_token.status_code == 200


async def test_a_description_is_for_who_may_see_the_image(people: Personas) -> None:
    me = await people.register("owner")
    stranger = await people.register("stranger")
    media = await image(people.client, me)
    mine = await described(people.client, me, media["id"])
    assert (mine["url"], mine["thumbnail_url"]) == (media["url"], media["thumbnail_url"])
    c = people.client
    for who in (stranger.auth, {}):
        hidden = await c.get(f"{API}/media/{media['id']}", headers=who)
        missing = await c.get(f"{API}/media/1234567", headers=who)
        assert answer(hidden) == answer(missing)
        assert hidden.status_code == 404


async def test_guessed_tampered_and_borrowed_urls_answer_as_missing(people: Personas) -> None:
    me = await people.register("signer")
    other = await people.register("other")
    c = people.client
    mine, theirs = await image(c, me), await image(c, other)
    token = mine["url"].rsplit("/", 1)[1]
    their_token = theirs["url"].rsplit("/", 1)[1]
    flipped = ("B" if token[0] == "A" else "A") + token[1:]
    i, j = mine["id"], theirs["id"]
    for url in (
        f"/media/{i}",  # unsigned, as media URLs used to be
        f"/media/{i}/thumb",
        f"/media/{i}/{flipped}",
        f"/media/{i}/{flipped}/thumb",
        f"/media/{i}/{token[:-1]}",
        f"/media/{i}/{token}A",
        f"/media/{i}/{token.swapcase()}",
        f"/media/{i}/{their_token}",  # someone else's signature
        f"/media/{j}/{token}",
        f"/media/0{i}/{token}",
        f"/media/{i}/{token}/thumb/more",
        f"/media/{i}/{token}/other",
        f"/media/x{i}/{token}",
        f"/media/{2**64}/{token}",
        "/media/-1/" + token,
        "/media/",
    ):
        await assert_missing_file(c, url)
    await assert_loads(c, mine["url"], theirs["url"])


def test_a_token_is_an_hmac_of_the_media_and_what_shows_it_under_the_servers_key() -> None:
    """The construction docs/api.md describes: HMAC-SHA256 (key derived from the server's
    secret) of "<media id>/<kind>/<holder id>/<version>", 128 bits, base64url."""
    import base64
    import hmac

    secret = b"s" * 32
    urls = MediaUrls("https://q.example", secret)
    key = hmac.digest(secret, b"quanzi media url v1", "sha256")
    mac = hmac.digest(key, b"17/post/42/0", "sha256")[:16]
    expected = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert urls.token(17, Holder("post", 42)) == expected
    links = urls.links(17, Holder("post", 42))
    assert links.url == f"https://q.example/media/17/{expected}"
    assert links.thumbnail_url == f"{links.url}/thumb"
    assert MediaUrls("https://q.example", b"t" * 32).token(17, Holder("post", 42)) != expected
    assert urls.token(17, Holder("post", 43)) != expected
    assert urls.token(17, Holder("moment", 42)) != expected
    assert urls.token(17, Holder("post", 42, 1)) != expected


async def test_a_followers_only_posts_image_loads_for_a_follower_until_the_post_is_deleted(
    people: Personas,
) -> None:
    author = await people.register("author")
    follower = await people.register("follower")
    c = people.client
    r = await c.post(f"{API}/accounts/{author.id}/follow", headers=follower.auth)
    assert r.status_code in (200, 201), r.text
    media = await image(c, author)
    r = await c.post(
        f"{API}/posts",
        json={"text": "只给关注者", "media_ids": [media["id"]], "visibility": "followers"},
        headers=author.auth,
    )
    assert r.status_code == 201, r.text
    post = r.json()["id"]
    seen = await c.get(f"{API}/posts/{post}", headers=follower.auth)
    assert seen.status_code == 200, seen.text
    shown = seen.json()["media"][0]
    await assert_loads(c, shown["url"], shown["thumbnail_url"])
    # Everyone given the post gets the same URLs, stable from one reading to the next: they
    # say nothing of who looks.
    again = (await c.get(f"{API}/posts/{post}", headers=author.auth)).json()["media"][0]
    assert (again["url"], again["thumbnail_url"]) == (shown["url"], shown["thumbnail_url"])
    assert shown["url"].startswith(f"http://testserver/media/{media['id']}/")
    # The upload's own URL was for writing the post; the post's URLs take over.
    assert shown["url"] != media["url"]
    await assert_missing_file(c, media["url"])

    assert (await c.delete(f"{API}/posts/{post}", headers=author.auth)).status_code == 204
    for url in (shown["url"], shown["thumbnail_url"]):
        await assert_missing_file(c, url)


async def test_a_recalled_messages_image_stops_loading(people: Personas) -> None:
    alice, bob = await people_with_chat(people, "ralice", "rbob")
    await alice.befriend(bob)
    conv = await alice.direct_id(bob)
    media = await image(people.client, alice.user)
    await alice.say(conv, "", media_id=media["id"])
    shown = (await bob.messages(conv)).json()["items"][0]
    await assert_loads(people.client, shown["media_url"], shown["thumbnail_url"])
    r = await alice.call("POST", f"/conversations/{conv}/messages/{shown['seq']}/recall")
    assert r.status_code == 200, r.text
    for url in (shown["media_url"], shown["thumbnail_url"]):
        await assert_missing_file(people.client, url)


async def test_stream_events_carry_urls_that_load_with_no_header(
    live: str, people: Personas
) -> None:
    """What the stream pushes (a new image message, a new Moment) names its images by URLs
    that load as they are."""
    alice, bob = await people_with_chat(people, "salice", "sbob")
    await alice.befriend(bob)
    conv = await alice.direct_id(bob)
    ws = await open_stream(live, bob.user)
    try:
        await alice.say(conv, "", media_id=(await image(people.client, alice.user))["id"])
        r = await alice.c.post(
            f"{API}/moments",
            json={"text": "", "media_ids": [(await image(people.client, alice.user))["id"]]},
            headers=alice.user.auth,
        )
        assert r.status_code == 201, r.text
        urls: dict[str, list[str]] = {}
        while len(urls) < 2:
            frame = await recv(ws)
            payload = frame["payload"]
            if frame["type"] == "message.new" and payload.get("media_url"):
                urls["message.new"] = [payload["media_url"], payload["thumbnail_url"]]
            elif frame["type"] == "moment.new":
                urls["moment.new"] = [
                    payload["media"][0]["url"],
                    payload["media"][0]["thumbnail_url"],
                ]
    finally:
        await ws.close()
    async with httpx.AsyncClient() as plain:  # from outside, as an image view would
        for kind, found in urls.items():
            for url in found:
                assert (
                    await plain.get(url.replace("http://testserver", live))
                ).status_code == 200, kind


async def test_a_deleted_moments_photos_stop_loading(people: Personas) -> None:
    me = await people.register("mauthor")
    c = people.client
    media = await image(c, me)
    r = await c.post(
        f"{API}/moments", json={"text": "", "media_ids": [media["id"]]}, headers=me.auth
    )
    assert r.status_code == 201, r.text
    moment = r.json()
    shown = moment["media"][0]
    await assert_loads(c, shown["url"], shown["thumbnail_url"])
    assert (await c.delete(f"{API}/moments/{moment['id']}", headers=me.auth)).status_code == 204
    for url in (shown["url"], shown["thumbnail_url"]):
        await assert_missing_file(c, url)


async def test_a_replaced_avatar_stops_loading(people: Personas) -> None:
    me = await people.register("face")
    c = people.client
    first, second = await image(c, me), await image(c, me)
    urls = []
    for chosen in (first, second):
        r = await c.patch(f"{API}/accounts/me", json={"avatar_id": chosen["id"]}, headers=me.auth)
        assert r.status_code == 200, r.text
        public = (await c.get(f"{API}/accounts/{me.id}")).json()
        assert public["avatar_url"] == r.json()["avatar_url"]
        urls.append((public["avatar_url"], public["avatar_thumbnail_url"]))
        await assert_loads(c, *urls[-1])
        assert (
            (await load_file(c, public["avatar_url"])).headers["cache-control"].startswith("public")
        )
    for url in urls[0]:
        await assert_missing_file(c, url)
    r = await c.patch(f"{API}/accounts/me", json={"avatar_id": None}, headers=me.auth)
    assert r.status_code == 200, r.text
    for url in urls[1]:
        await assert_missing_file(c, url)


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


async def test_served_files_are_sandboxed_and_kept_privately(people: Personas) -> None:
    me = await people.register("sandboxed")
    r = await upload(people.client, me, encode(picture(), "GIF"), "a.gif")
    for url in (r.json()["url"], r.json()["thumbnail_url"]):
        served = await load_file(people.client, url)
        assert "sandbox" in served.headers["content-security-policy"]
        assert served.headers["x-content-type-options"] == "nosniff"
        # What a URL serves never changes (it stops working instead), so it may be kept; by
        # the browser or app it was given to only.
        assert served.headers["cache-control"] == "private, max-age=604800, immutable"
    missing = await load_file(people.client, MISSING_FILE)
    assert "immutable" not in missing.headers.get("cache-control", "")


# Media attached to nothing is erased once old enough (domain/media/sweep.py)


async def swept_a_day_later(app: FastAPI) -> int:
    return await sweep(app, now=datetime.now(UTC) + timedelta(hours=25))


async def sweep(app: FastAPI, now: datetime | None = None) -> int:
    services = app.state.services
    day = timedelta(hours=services.settings.media_unattached_hours)
    return await sweep_unattached(services.write, services.media_store, day, now=now)


def stored_files(app: FastAPI) -> list[Path]:
    root: Path = app.state.services.settings.media_path
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]


async def test_unused_and_deleted_images_are_erased_a_day_on(
    app: FastAPI, people: Personas
) -> None:
    me = await people.register("sweeper")
    c = people.client
    images = [await image(c, me) for _ in "12345"]
    never_used, of_deleted_post, of_live_post, avatar, old_avatar = images
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
    assert await sweep(app) == 0
    assert await swept_a_day_later(app) == 3
    for gone in (never_used, of_deleted_post, old_avatar):
        await assert_missing_file(c, gone["url"])
        await assert_missing_file(c, gone["thumbnail_url"])
        assert (await fetch(c, me, f"{API}/media/{gone['id']}")).status_code == 404
    for used in (of_live_post, avatar):
        await assert_loads(c, (await described(c, me, used["id"]))["url"])
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
        await assert_loads(c, version["media"][0]["url"])
    # an image from an earlier version can be used again in the post
    r = await c.patch(
        f"/api/quanzi/v1/posts/{post}",
        json={"text": "第四版", "media_ids": [first["id"]]},
        headers=me.auth,
    )
    assert r.status_code == 200, r.text

    assert (await c.delete(f"/api/quanzi/v1/posts/{post}", headers=me.auth)).status_code == 204
    assert await swept_a_day_later(app) == 2
    for version in history:
        await assert_missing_file(c, version["media"][0]["url"])


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

    async def picture_of(conversation: str) -> str:
        url = (await bob.conversation(conversation)).json()["avatar_url"]
        assert url, conversation
        return str(url)

    old_of_first, old_of_second = await picture_of(first), await picture_of(second)
    assert old_of_first != old_of_second  # each group's URL is its own
    await assert_loads(c, old_of_first, f"{old_of_first}/thumb", old_of_second)
    r = await owner.call("PATCH", f"/conversations/{first}", json={"avatar_id": new["id"]})
    assert r.status_code == 200, r.text
    await assert_missing_file(c, old_of_first)
    await assert_missing_file(c, f"{old_of_first}/thumb")
    await assert_loads(c, old_of_second, await picture_of(first))  # still the other group's
    r = await owner.call("PATCH", f"/conversations/{second}", json={"avatar_id": new["id"]})
    assert r.status_code == 200, r.text
    await assert_missing_file(c, old_of_second)
    await assert_loads(c, await picture_of(second))
    assert await swept_a_day_later(app) == 1
    assert (await fetch(c, owner.user, f"{API}/media/{old['id']}")).status_code == 404


async def test_every_path_that_attaches_an_upload_answers_alike(people: Personas) -> None:
    """One claim rule (domain/media/claims.claim_media): a message, a post, a Moment, an
    avatar and a group picture each refuse an upload used elsewhere with the same answer, and
    someone else's upload as a missing one."""
    alice, bob = await people_with_chat(people, "clalice", "clbob")
    await alice.befriend(bob)
    c, conv = people.client, await alice.direct_id(bob)
    used = (await image(c, alice.user))["id"]
    await alice.say(conv, "", media_id=used)
    theirs = (await image(c, bob.user))["id"]

    def attempts(media_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (
                "POST",
                f"/conversations/{conv}/messages",
                {"client_msg_id": f"m{media_id}", "media_id": media_id},
            ),
            ("POST", "/posts", {"text": "p", "media_ids": [media_id]}),
            ("POST", "/moments", {"text": "m", "media_ids": [media_id]}),
            ("PATCH", "/accounts/me", {"avatar_id": media_id}),
            (
                "POST",
                "/conversations/group",
                {"name": "g", "member_ids": [bob.id], "avatar_id": media_id},
            ),
        ]

    in_use, missing = set(), set()
    for method, path, body in attempts(used):
        r = await alice.call(method, path, json=body)
        assert r.status_code == 422, (path, r.text)
        error = r.json()["error"]
        in_use.add((error["code"], error["message"]))
    assert in_use == {("media_in_use", "That image was already used; upload it again.")}
    for method, path, body in attempts(theirs):
        r = await alice.call(method, path, json=body)
        assert r.status_code == 404, (path, r.text)
        missing.add(r.content)
    assert len(missing) == 1
