"""What makes the web client installable (docs/web.md, Installable): the web app manifest in
the reader's language, the service worker, and the offline page it shows when the network is
gone. All three are public and the same for everyone who reads that language: nothing
personal is in them, so a service worker may keep the offline page.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.web import i18n
from quanzi.web.i18n import _
from quanzi.web.page import Page, finish, render, templates
from quanzi.web.static import STATIC_VERSION

router = APIRouter(include_in_schema=False)

THEME_COLOUR = "#ededed"  # the top bar's background (base.html's theme-color)
ICONS = [
    {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {
        "src": "/static/icons/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
]
# What the service worker keeps when it is installed: the offline page and what it loads.
# Other static files of this version are kept as pages load them.
OFFLINE_FILES = ("app.css", "app.js", "shell.js", "icon.svg")


def _public_page(request: Request) -> Page:
    """A page as everyone sees it: in the reader's language, with no one logged in, no CSRF
    token and no cookie set (what it says cannot depend on who asks)."""
    language = i18n.choose_language(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    i18n.set_language(language)
    return Page(request, request.app.state.services, None, None, "", language)


def _public(page: Page, response: Response, cache: str = "no-cache") -> Response:
    response = finish(page, response)
    response.headers["Cache-Control"] = cache
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    page = _public_page(request)
    body: dict[str, Any] = {
        "id": "/",
        "name": _("quanzi"),
        "short_name": _("quanzi"),
        "description": _("Chats, friends, Moments and a public square, on a server you trust."),
        "lang": i18n.html_lang(),
        "dir": "ltr",
        "start_url": "/chats",
        "scope": "/",
        "display": "standalone",
        "background_color": THEME_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": ICONS,
    }
    return _public(page, Response(orjson.dumps(body), media_type="application/manifest+json"))


@router.get("/sw.js")
async def service_worker(request: Request) -> Response:
    page = _public_page(request)
    precache = ["/offline", *(f"/static/{name}?v={STATIC_VERSION}" for name in OFFLINE_FILES)]
    script = templates.get_template("shell/sw.js").render(version=STATIC_VERSION, precache=precache)
    response = Response(script, media_type="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return _public(page, response)


@router.get("/offline")
async def offline(request: Request) -> Response:
    page = _public_page(request)
    return _public(page, render(page, "shell/offline.html"))
