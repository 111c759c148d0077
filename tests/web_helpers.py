"""Driving the web client over HTTP, as a browser would: cookies, the CSRF token a page
carries, forms, and HTMX requests (which add the `HX-Request` header)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers import PASSWORD

CSRF_RE = re.compile(r'data-csrf="([^"]+)"')
# A signed media file of this site, as pages write it: /media/<id>/<token>[/thumb]
MEDIA_PATH = r"/media/\d+/[A-Za-z0-9_-]{22}"
IMG_MEDIA_RE = re.compile(rf'<img[^>]*\ssrc="({MEDIA_PATH}(?:/thumb)?)"')


def media_images(html: str) -> list[str]:
    """The media files a page shows in <img> elements, in order."""
    return IMG_MEDIA_RE.findall(html)


class WebUser:
    """One browser: its own cookie jar, on the same app."""

    def __init__(self, app_client: httpx.AsyncClient) -> None:
        self.c = httpx.AsyncClient(
            transport=app_client._transport,  # the same ASGI app
            base_url=str(app_client.base_url),
            headers={"accept-language": "en"},
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.c.aclose()

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        r = await self.c.get(path, **kwargs)
        found = CSRF_RE.search(r.text)
        if found:
            self.csrf = found.group(1)
        return r

    async def page(self, path: str) -> str:
        r = await self.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        return r.text

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        htmx: bool = False,
        files: dict[str, Any] | None = None,
    ) -> httpx.Response:
        if not self.csrf:
            await self.get("/login")
        headers = {"X-CSRF-Token": self.csrf, "HX-Request": "true"} if htmx else {}
        body = dict(data or {})
        if not htmx:
            body["csrf_token"] = self.csrf
        return await self.c.post(path, data=body, files=files, headers=headers)

    async def register(self, handle: str, name: str | None = None) -> None:
        await self.get("/register")
        r = await self.post(
            "/register",
            {"handle": handle, "display_name": name or handle.title(), "password": PASSWORD},
        )
        assert r.status_code == 303, r.text[:500]

    async def log_in(self, handle: str, password: str = PASSWORD) -> None:
        await self.get("/login")
        r = await self.post("/login", {"login": handle, "password": password})
        assert r.status_code == 303, r.text[:500]
