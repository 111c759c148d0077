"""The web client: server-rendered pages (Jinja2 + HTMX) over the same domain as the API."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.web import auth, chats, contacts, discover, me, moments, oauth, shell, uploads
from quanzi.web import photos as photos  # the photo grids' template globals
from quanzi.web.square import comments, communities, posts, search, timelines, topics
from quanzi.web.static import Static

routers: list[APIRouter] = [
    auth.router,
    chats.router,
    contacts.router,
    discover.router,
    moments.router,
    timelines.router,
    posts.router,
    comments.router,
    topics.router,
    communities.router,
    search.router,
    uploads.router,
    me.router,
    oauth.router,
    shell.router,
]


def static_files() -> Static:
    return Static()
