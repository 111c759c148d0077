"""Uploading photos from the composers (POST /uploads, one photo a request) and posting their
ids: the answers the page's script reads, refusals in the person's language, the claim rules
of posting, and the photo grids that show them."""

from __future__ import annotations

import re

from PIL import Image

from tests.helpers import Personas, encode, load_file, picture
from tests.web.conftest import NewBrowser
from tests.web.test_chats import direct_chat
from tests.web_helpers import WebUser


async def upload(
    user: WebUser, raw: bytes, *, name: str = "p.jpg", kind: str = "image/jpeg", zh: bool = False
) -> tuple[int, dict[str, object]]:
    await user.get("/moments/new")
    r = await user.c.post(
        "/uploads",
        files={"file": (name, raw, kind)},
        headers={"X-CSRF-Token": user.csrf} | ({"Accept-Language": "zh-CN"} if zh else {}),
    )
    assert r.headers["content-type"] == "application/json", r.text[:300]
    return r.status_code, r.json()


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    return encode(picture(size), "JPEG")


async def test_an_upload_answers_its_id_and_a_thumbnail_its_owner_can_load(
    browser_for: NewBrowser,
) -> None:
    alice = await browser_for("alice")
    status, body = await upload(alice, jpeg((300, 200)))
    assert status == 201, body
    assert re.fullmatch(r"\d+", str(body["id"]))
    assert (body["width"], body["height"]) == (300, 200)
    assert str(body["thumbnail_url"]).startswith(f"/media/{body['id']}/")
    assert (await load_file(alice.c, str(body["thumbnail_url"]))).status_code == 200


async def test_refusals_are_json_in_the_persons_language(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    status, body = await upload(alice, b"not an image at all", name="x.txt", kind="text/plain")
    assert status == 415
    assert body == {
        "error": {
            "code": "unsupported_image",
            "message": "Only JPEG, PNG, WebP and GIF images are accepted.",
        }
    }
    status, body = await upload(alice, b"not an image at all", zh=True)
    assert status == 415 and body["error"] == {
        "code": "unsupported_image",
        "message": "只支持 JPEG、PNG、WebP 和 GIF 图片。",
    }
    huge = encode(Image.new("1", (8000, 6000)), "PNG")  # small file, too many pixels
    status, body = await upload(alice, huge, name="huge.png", kind="image/png", zh=True)
    assert status == 413
    assert body["error"] == {"code": "too_many_pixels", "message": "这张照片太大了。"}
    status, body = await upload(alice, jpeg()[:200], zh=True)
    assert status == 422 and body["error"] == {
        "code": "invalid_image",
        "message": "图片已损坏，无法读取。",
    }


async def test_an_upload_needs_the_pages_token_and_a_login(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    await alice.get("/moments/new")
    r = await alice.c.post("/uploads", files={"file": ("p.jpg", jpeg(), "image/jpeg")})
    assert r.status_code == 403
    await alice.post("/logout")
    await alice.get("/login")
    r = await alice.c.post(
        "/uploads",
        files={"file": ("p.jpg", jpeg(), "image/jpeg")},
        headers={"X-CSRF-Token": alice.csrf},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def moment_with(user: WebUser, ids: list[str], *, zh: bool = False) -> str:
    """Post the Moments form as its script does (HTMX, media_ids); the response."""
    await user.get("/moments/new")
    r = await user.c.post(
        "/moments/new",
        data={"text": "九张", "media_ids": ids, "audience": "friends"},
        headers={"X-CSRF-Token": user.csrf, "HX-Request": "true"}
        | ({"Accept-Language": "zh-CN"} if zh else {}),
    )
    if r.status_code == 204:
        assert r.headers["HX-Redirect"] == "/moments"
        return ""
    assert r.headers["HX-Retarget"] == "#toast", r.text[:300]
    return f"{r.status_code} {r.text}"


async def test_a_moment_posts_the_uploaded_ids_in_order_as_a_grid(
    browser_for: NewBrowser,
) -> None:
    alice = await browser_for("alice")
    ids = []
    for n in range(9):
        status, body = await upload(alice, jpeg((40 + n, 40)))
        assert status == 201
        ids.append(str(body["id"]))
    assert await moment_with(alice, ids) == ""
    feed = await alice.page("/moments")
    grid = re.search(r'<ul class="pg pg-cols-3"[^>]*>(.*?)</ul>', feed, re.S)
    assert grid is not None
    assert re.findall(r'href="/media/(\d+)/', grid.group(1)) == ids
    # one photo alone: its box keeps its shape, a panorama cropped to 2.5:1
    for size, box in [((300, 200), (224, 149)), ((100, 400), (90, 224)), ((900, 100), (224, 90))]:
        status, body = await upload(alice, jpeg(size))
        assert await moment_with(alice, [str(body["id"])]) == ""
        feed = await alice.page("/moments")
        assert re.search(
            rf'class="pg pg-cols-1 pg-one".*?<img src="[^"]+" width="{box[0]}" height="{box[1]}"',
            feed,
            re.S,
        ), size


async def test_posting_claims_the_uploads_by_the_one_rule(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice, bob = await browser_for("alice"), await browser_for("bob")
    _, mine = await upload(alice, jpeg())
    # someone else's upload is as missing as one that is not there
    refused = await moment_with(bob, [str(mine["id"])], zh=True)
    assert refused.startswith("404") and "没有这个文件。" in refused
    assert await moment_with(alice, [str(mine["id"])]) == ""
    # used once: to show it again it is uploaded again
    assert "这张图片已经用过了，请重新上传。" in await moment_with(
        alice, [str(mine["id"])], zh=True
    )
    ten = [str((await upload(alice, jpeg()))[1]["id"]) for _ in range(10)]
    refused = await moment_with(alice, ten, zh=True)
    assert refused.startswith("422") and "一条朋友圈最多 9 张照片。" in refused
    # the square's composer sends ids the same way
    await alice.get("/square")
    r = await alice.c.post(
        "/square/posts",
        data={"text": "四张 #photos#", "media_ids": ten[:4], "visibility": "public"},
        headers={"X-CSRF-Token": alice.csrf, "HX-Request": "true"},
    )
    assert r.status_code == 204, r.text[:300]
    square = await alice.page("/square?tab=public")
    grid = re.search(r'<ul class="pg pg-cols-2"[^>]*>(.*?)</ul>', square, re.S)
    assert grid is not None and re.findall(r'href="/media/(\d+)/', grid.group(1)) == ten[:4]


async def test_a_chat_picture_has_its_box_before_it_loads(
    browser_for: NewBrowser, people: Personas
) -> None:
    """Its width and height on the page, so the messages below do not jump as it loads."""
    alice, bob, _, chat_url = await direct_chat(browser_for, people)
    for n, (size, box) in enumerate([((300, 200), (224, 149)), ((100, 400), (90, 224))]):
        sent = await bob.post(
            f"{chat_url}/messages",
            {"client_msg_id": f"p{n}", "text": "", "after_seq": str(n)},
            htmx=True,
            files={"image": ("p.jpg", jpeg(size), "image/jpeg")},
        )
        assert sent.status_code == 200, sent.text
        sized = (
            r'<ul class="pg pg-cols-1 pg-one"[^>]*>\s*<li><a [^>]*>'
            rf'<img src="[^"]+" width="{box[0]}" height="{box[1]}"'
        )
        assert re.search(sized, await alice.page(chat_url)), size
        fragment = await alice.get(f"{chat_url}/messages?after_seq={n}")
        assert re.search(sized, fragment.text), size
    assert "pg-free" not in await alice.page(chat_url)
