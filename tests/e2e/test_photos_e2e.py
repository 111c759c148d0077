"""Photos in a real browser, at phone and desktop sizes: the grids' geometry (nothing
stretched), the photo viewer with keys, swipes, zoom and the back button, and nine phone
photos of about 5 MB each posted from the Moments composer, shrunk in the browser first."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Locator, Request, expect

from tests.e2e.conftest import PHONE, NewPerson, Person
from tests.e2e.test_chat_e2e import befriend, open_chat, token
from tests.helpers import PASSWORD, encode

DESKTOP = {"width": 1366, "height": 900}
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
API = "/api/quanzi/v1"
# (width, height) of the photos of each Moment, and the alt text of its first photo
MOMENTS = {
    "one tall": [(300, 900)],  # 1:3, shown cropped to 1:2.5
    "one wide": [(800, 450)],
    "two": [(800, 450), (300, 500)],
    "four": [(400, 400), (800, 450), (300, 500), (640, 200)],
    "nine": [(800, 450), (300, 500), (400, 400)] * 3,
}


def photo(size: tuple[int, int], n: int) -> bytes:
    image = Image.new("RGB", size, (40 * n % 255, 120, 200))
    return encode(image, "JPEG")


async def post_moments(someone: Person) -> None:
    async with someone.api() as http:
        r = await http.post(f"{API}/sessions", json={"login": someone.handle, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        for text, sizes in MOMENTS.items():
            ids = []
            for n, size in enumerate(sizes):
                r = await http.post(
                    f"{API}/media",
                    files={"file": (f"{n}.jpg", photo(size, n), "image/jpeg")},
                    data={"description": f"{text}: photo {n + 1}"} if n == 3 else {},
                    headers=auth,
                )
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            r = await http.post(
                f"{API}/moments", json={"text": text, "media_ids": ids}, headers=auth
            )
            assert r.status_code == 201, r.text


def moment(someone: Person, text: str) -> Locator:
    words = someone.page.locator("p.moment-text", has_text=re.compile(f"^{re.escape(text)}$"))
    return someone.page.locator("article.moment").filter(has=words)


async def boxes(grid: Locator) -> list[dict[str, Any]]:
    """Each cell of a grid as drawn: its box, and its image's box and natural size."""
    return list(
        await grid.locator("a[data-photo]").evaluate_all(
            """cells => cells.map((a) => {
                const img = a.querySelector("img");
                const r = a.getBoundingClientRect(), i = img.getBoundingClientRect();
                return {x: r.x, y: r.y, w: r.width, h: r.height, iw: i.width, ih: i.height,
                        nw: img.naturalWidth, nh: img.naturalHeight,
                        fit: getComputedStyle(img).objectFit};
            })"""
        )
    )


@SIZES
async def test_grids_keep_each_photos_shape(person: NewPerson, viewport: dict[str, int]) -> None:
    someone = await person("grids", viewport=viewport)
    await post_moments(someone)
    await someone.go("/moments")
    await someone.page.evaluate(
        "Promise.all(Array.from(document.images, (i) => { i.loading = 'eager';"
        " return i.decode().catch(() => null); }))"
    )
    for text, sizes in MOMENTS.items():
        grid = moment(someone, text).locator("ul[data-photos]")
        await grid.scroll_into_view_if_needed()
        cells = await boxes(grid)
        assert len(cells) == len(sizes), text
        for cell in cells:  # the image fills its cell, with nothing hidden by an overflow
            assert abs(cell["iw"] - cell["w"]) < 1.5 and abs(cell["ih"] - cell["h"]) < 1.5, cell
        if len(sizes) == 1:
            [cell] = cells
            width, height = sizes[0]
            shown = max(min(width / height, 2.5), 1 / 2.5)
            assert abs(cell["w"] / cell["h"] - shown) < 0.03, (text, cell)
            assert max(cell["w"], cell["h"]) == pytest.approx(224, abs=1)
            # a cropped photo is covered, not squeezed: at its own shape it overflows the box
            assert cell["fit"] == "cover"
            continue
        columns = sorted({round(c["x"]) for c in cells})
        rows = sorted({round(c["y"]) for c in cells})
        assert len(columns) == (2 if len(sizes) <= 4 else 3), (text, columns)
        assert len(rows) == -(-len(sizes) // len(columns)), (text, rows)
        widths = {round(c["w"]) for c in cells}
        assert len(widths) == 1, widths  # one size of cell in a grid
        for cell in cells:  # square crops: covered, never stretched
            assert abs(cell["w"] - cell["h"]) < 1, cell
            assert cell["fit"] == "cover"
            assert 60 <= cell["w"] <= 130, cell
    # the grid of nine fits in the Moment on a phone: nothing wider than the page
    assert await someone.page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


async def counter(someone: Person) -> str:
    return (await someone.page.locator(".pv-count").text_content()) or ""


@SIZES
async def test_the_viewer_opens_goes_and_closes(
    person: NewPerson, viewport: dict[str, int]
) -> None:
    someone = await person("viewer", viewport=viewport)
    await post_moments(someone)
    await someone.go("/moments")
    url = someone.page.url
    nine = moment(someone, "nine")
    first = nine.locator("a[data-photo]").first
    await first.click()
    dialog = someone.page.get_by_role("dialog", name="Photo viewer")
    await expect(dialog).to_be_visible()
    assert await counter(someone) == "1 of 9"
    await expect(someone.page.locator(".pv-close")).to_be_focused()
    img = someone.page.locator(".pv-img")
    assert await img.evaluate("img => img.src") == await first.evaluate("a => a.href")
    await someone.page.keyboard.press("ArrowRight")
    await someone.page.keyboard.press("ArrowRight")
    await someone.page.keyboard.press("ArrowRight")
    assert await counter(someone) == "4 of 9"
    await expect(someone.page.locator(".pv-caption")).to_have_text("nine: photo 4")
    await someone.page.keyboard.press("ArrowLeft")
    assert await counter(someone) == "3 of 9"
    await expect(someone.page.locator(".pv-caption")).to_be_hidden()  # no alt text, no caption

    # swipes: to the left is the next photo, to the right the one before
    stage = await someone.page.locator(".pv-stage").bounding_box()
    assert stage is not None
    mid_x, mid_y = stage["x"] + stage["width"] / 2, stage["y"] + stage["height"] / 2

    async def swipe(dx: float) -> None:
        await someone.page.mouse.move(mid_x, mid_y)
        await someone.page.mouse.down()
        for step in range(1, 6):
            await someone.page.mouse.move(mid_x + dx * step / 5, mid_y)
        await someone.page.mouse.up()

    await swipe(-150)
    assert await counter(someone) == "4 of 9"
    await swipe(150)
    await swipe(150)
    assert await counter(someone) == "2 of 9"
    # a tap on the photo keeps the keys working
    await someone.page.mouse.click(mid_x, mid_y)
    await someone.page.keyboard.press("ArrowRight")
    assert await counter(someone) == "3 of 9"
    await someone.page.keyboard.press("ArrowLeft")
    assert await counter(someone) == "2 of 9"

    # zoom: the wheel, then a double tap back out; the page behind does not scroll
    viewer = someone.page.locator(".pv")
    await someone.page.mouse.move(mid_x, mid_y)
    await someone.page.mouse.wheel(0, -400)
    assert float(await viewer.get_attribute("data-zoom") or "1") > 1.5
    await swipe(-150)  # zoomed in, a drag pans instead of turning the page
    assert await counter(someone) == "2 of 9"
    await someone.page.mouse.dblclick(mid_x, mid_y)
    assert float(await viewer.get_attribute("data-zoom") or "0") == 1
    await someone.page.mouse.dblclick(mid_x, mid_y)
    assert float(await viewer.get_attribute("data-zoom") or "0") > 2

    # focus stays in the dialog
    for _ in range(6):
        await someone.page.keyboard.press("Tab")
        assert await someone.page.evaluate("!!document.activeElement.closest('.pv')")

    # Esc closes and gives the focus back to the photo that opened it
    await someone.page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(first).to_be_focused()
    assert someone.page.url == url

    # the back button closes it too, and leaves the page where it was
    await nine.locator("a[data-photo]").nth(8).click()
    assert await counter(someone) == "9 of 9"
    await expect(someone.page.locator(".pv-next")).to_be_disabled()
    await someone.page.go_back()
    await expect(dialog).to_have_count(0)
    assert someone.page.url == url
    await expect(nine).to_be_visible()


def phone_photo(n: int) -> bytes:
    """A photo as a phone takes it: 4032 × 3024 and about 5 MB (noise does not compress)."""
    w, h = 4032, 3024
    noise = Image.effect_noise((w, h), 16)
    ramp = Image.linear_gradient("L").resize((w, h))
    image = Image.merge("RGB", (ramp, noise, Image.new("L", (w, h), 30 * n)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


async def test_nine_phone_photos_post_from_the_moments_composer(person: NewPerson) -> None:
    someone = await person("phone")
    await someone.context.add_cookies(
        [{"name": "quanzi_lang", "value": "zh_CN", "url": someone.base}]
    )
    files = [
        {"name": f"IMG_{n:04}.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(n)}
        for n in range(9)
    ]
    assert all(4_500_000 < len(f["buffer"]) < 7_000_000 for f in files)  # type: ignore[arg-type]
    sent: list[int] = []

    def note(request: Request) -> None:
        if request.url.endswith("/uploads"):
            sent.append(len(request.post_data_buffer or b""))

    someone.page.on("request", note)
    await someone.go("/moments/new")
    text = someone.page.locator("#moment-text")
    await text.fill("九张照片 🏔️")

    # refused photos are said in the page, in Chinese, and nothing typed is lost: one that is
    # not an image (the server's answer), one over the request limit (the edge's 413)
    await someone.page.locator("#moment-photos").set_input_files(
        files=[
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture"},
            {"name": "huge.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + bytes(22_000_000)},
        ]
    )
    failed = someone.page.locator(".up-tile[data-state=failed]")
    await expect(failed).to_have_count(2)
    await expect(failed.nth(0)).to_contain_text("图片")
    await expect(failed.nth(1)).to_contain_text("这张照片太大了。")
    await someone.page.get_by_role("button", name="发表").click()
    await expect(someone.page.locator("[data-upload-error]")).to_have_text(
        "有照片没有上传成功：请重试或删除。"
    )
    assert someone.page.url.endswith("/moments/new")
    await expect(text).to_have_value("九张照片 🏔️")
    for _ in range(2):
        await someone.page.get_by_role("button", name="移除第 1 张照片").click()
    await expect(failed).to_have_count(0)

    sent.clear()
    await someone.page.locator("#moment-photos").set_input_files(files=files)
    progress = someone.page.locator(".up-tile progress")
    await expect(progress).to_have_count(9)
    await someone.page.get_by_role("button", name="发表").click()  # waits for the uploads
    await someone.page.wait_for_url("**/moments")
    shown = moment(someone, "九张照片 🏔️").locator("a[data-photo]")
    await expect(shown).to_have_count(9)
    # shrunk in the browser: each upload well under the phone's 5 MB
    assert len(sent) == 9 and max(sent) < 3_000_000, sent
    async with someone.api() as http:
        r = await http.post(f"{API}/sessions", json={"login": "phone", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        mine = (await http.get(f"{API}/moments", headers=auth)).json()["items"][0]
    assert len(mine["media"]) == 9
    assert all(max(m["width"], m["height"]) == 2560 for m in mine["media"])
    # the browser logs the two refusals asked for above; nothing else may be in its console
    refusals = (
        "status of 413 (Request Entity Too Large)",
        "status of 415 (Unsupported Media Type)",
    )
    someone.errors[:] = [e for e in someone.errors if not e.endswith(refusals)]


async def test_a_body_the_edge_refuses_is_said_in_the_page(person: NewPerson) -> None:
    """A form sent by HTMX that is over the request limit (the edge answers 413 in JSON before
    any page can): a message in the person's language, the page and its text as they were."""
    someone = await person("edge")
    await someone.context.add_cookies(
        [{"name": "quanzi_lang", "value": "zh_CN", "url": someone.base}]
    )
    await someone.go("/moments/new")
    await someone.page.locator("#moment-text").fill("写了很久的一段话")
    await someone.page.evaluate(
        """() => {
            const form = document.getElementById("moment-form");
            const big = document.createElement("input");
            big.type = "hidden";
            big.name = "location";
            big.value = "x".repeat(22_000_000);
            form.appendChild(big);
        }"""
    )
    await someone.page.get_by_role("button", name="发表").click()
    await expect(someone.page.locator("#toast")).to_have_text("内容太大，无法发送。")
    await expect(someone.page.locator("#moment-text")).to_have_value("写了很久的一段话")
    assert "too_large" not in await someone.page.content()
    someone.errors[:] = [e for e in someone.errors if "status of 413" not in e]


async def test_a_chat_picture_from_a_phone_is_shrunk_and_a_refusal_said_in_the_chat(
    person: NewPerson,
) -> None:
    """The chat composer sends its picture as the Moments composer does: shrunk in the
    browser first; and a picture over the request limit is said in the person's language."""
    someone, friend = await person("snapper"), await person("friend")
    await someone.context.add_cookies(
        [{"name": "quanzi_lang", "value": "zh_CN", "url": someone.base}]
    )
    _, friend_id = await befriend(someone, friend)
    chat = await open_chat(someone, friend_id)
    sent: list[int] = []

    def note(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(f"{chat}/messages"):
            sent.append(len(request.post_data_buffer or b""))

    someone.page.on("request", note)
    files = someone.page.locator("#composer input[type=file]")
    await files.set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(1)}]
    )
    await someone.page.locator("#composer [type=submit]").click()
    await expect(someone.page.locator("#messages .msg.mine a[data-photo]")).to_have_count(1)
    assert len(sent) == 1 and sent[0] < 3_000_000, sent
    async with someone.api() as http:
        auth = {"Authorization": f"Bearer {await token(someone)}"}
        items = (await http.get(f"{API}/conversations{chat[6:]}/messages", headers=auth)).json()
        media = await http.get(f"{API}/media/{items['items'][0]['media_id']}", headers=auth)
    assert max(media.json()["width"], media.json()["height"]) == 2560

    await files.set_input_files(
        files=[
            {"name": "huge.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + bytes(22_000_000)}
        ]
    )
    await someone.page.locator("#composer [type=submit]").click()
    await expect(someone.page.locator("#toast")).to_have_text("内容太大，无法发送。")
    assert "too_large" not in await someone.page.content()
    someone.errors[:] = [e for e in someone.errors if "status of 413" not in e]
