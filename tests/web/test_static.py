"""The static files: versioned URLs kept for good, text gzipped, pages never compressed
(web/static.py; docs/web.md, Static files)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from quanzi.web.static import STATIC_DIR, STATIC_VERSION, fingerprint
from tests.web.conftest import NewBrowser

GZIP = {"accept-encoding": "gzip"}


async def test_pages_link_the_static_files_of_this_version(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    page = await alice.page("/chats")
    linked = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[^"]+)"', page)
    assert "/static/app.css?v=" + STATIC_VERSION in linked
    assert all(url.endswith("?v=" + STATIC_VERSION) for url in linked)


async def test_a_versioned_file_is_kept_for_good_and_gzipped(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/static/app.css?v={STATIC_VERSION}", headers=GZIP)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["content-type"].startswith("text/css")
    assert r.content == (STATIC_DIR / "app.css").read_bytes()  # httpx unzipped it
    assert int(r.headers["content-length"]) < len(r.content) / 2
    assert "etag" in r.headers


async def test_without_gzip_the_file_goes_as_it_is(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/static/app.js?v={STATIC_VERSION}", headers={"accept-encoding": ""})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.content == (STATIC_DIR / "app.js").read_bytes()
    assert r.headers["vary"] == "Accept-Encoding"


async def test_an_unversioned_or_old_url_is_revalidated(client: httpx.AsyncClient) -> None:
    for url in ("/static/app.css", "/static/app.css?v=0.0.1-0000000000"):
        r = await client.get(url, headers=GZIP)
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-cache"
        again = await client.get(url, headers={**GZIP, "if-none-match": r.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["cache-control"] == "no-cache"


async def test_images_are_not_gzipped(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/static/avatar.png?v={STATIC_VERSION}", headers=GZIP)
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    missing = await client.get(f"/static/nothing.css?v={STATIC_VERSION}", headers=GZIP)
    assert missing.status_code == 404
    assert "immutable" not in missing.headers.get("cache-control", "")


async def test_pages_are_not_compressed(browser_for: NewBrowser) -> None:
    """A page holds the CSRF token beside what the user typed: compressed, its length would
    tell an eavesdropper about the token (BREACH)."""
    alice = await browser_for("alice")
    r = await alice.c.get("/search?q=hello", headers=GZIP)
    assert r.status_code == 200
    assert "content-encoding" not in r.headers


def test_the_version_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "app.css").write_text("body { color: black }")
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "a.png").write_bytes(b"\x89PNG")
    before = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == before
    (tmp_path / "icons" / "a.png").write_bytes(b"\x89PNG!")
    assert fingerprint(tmp_path) != before
