"""What the server says about itself (instance v1 and v2), and the calls Mastodon apps make
for things quanzi does not have (custom emojis, filters, lists …): they succeed, empty."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from quanzi import __version__
from quanzi.api.deps import ServicesDep
from quanzi.api.mastodon.auth import ReadAny
from quanzi.api.mastodon.common import V1, V2, MastodonRoute, MastoJSON
from quanzi.db.models import Account, Post
from quanzi.domain.media.images import FORMATS
from quanzi.services import Services

router = APIRouter(route_class=MastodonRoute, include_in_schema=False)

# Mastodon clients read the version to know what they may call (X.Y.Z first, then anything).
MASTODON_VERSION = f"4.3.0 (compatible; quanzi {__version__})"
STATS_SECONDS = 60.0
_stats: dict[int, tuple[float, dict[str, int]]] = {}


async def _counts(services: Services) -> dict[str, int]:
    """Accounts and posts, counted at most once a minute per process (counting every post of
    a big server on each request would cost more than the request)."""
    cached = _stats.get(id(services))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    async with services.read() as tx:
        users = await tx.session.scalar(
            select(func.count()).select_from(Account).where(Account.status == "active")
        )
        posts = await tx.session.scalar(
            select(func.count()).select_from(Post).where(Post.deleted_at.is_(None))
        )
    counts = {"user_count": int(users or 0), "status_count": int(posts or 0), "domain_count": 1}
    _stats[id(services)] = (time.monotonic() + STATS_SECONDS, counts)
    return counts


def _configuration(services: Services) -> dict[str, Any]:
    settings = services.settings
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": settings.post_max_chars,
            "max_media_attachments": 9,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": sorted(mime for mime, _ in FORMATS.values()),
            "image_size_limit": settings.media_max_bytes,
            "image_matrix_limit": settings.media_max_pixels,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
    }


def _streaming(base: str) -> str:
    parts = urlsplit(base)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"


@router.get(f"{V1}/instance")
@router.get(f"{V1}/instance/")
async def instance_v1(services: ServicesDep) -> Response:
    settings = services.settings
    base = settings.public_base
    return MastoJSON(
        {
            "uri": urlsplit(base).netloc,
            "title": "quanzi",
            "short_description": "A quanzi server: chats, Moments and a public square.",
            "description": "A quanzi server: chats, Moments and a public square.",
            "email": "",
            "version": MASTODON_VERSION,
            "urls": {"streaming_api": _streaming(base)},
            "stats": await _counts(services),
            "thumbnail": None,
            "languages": ["zh", "en"],
            "registrations": settings.registration != "closed",
            "approval_required": False,
            "invites_enabled": settings.registration == "invite",
            "configuration": _configuration(services),
            "contact_account": None,
            "rules": [],
        }
    )


@router.get(f"{V2}/instance")
@router.get(f"{V2}/instance/")
async def instance_v2(services: ServicesDep) -> Response:
    settings = services.settings
    base = settings.public_base
    counts = await _counts(services)
    return MastoJSON(
        {
            "domain": urlsplit(base).netloc,
            "title": "quanzi",
            "version": MASTODON_VERSION,
            "description": "A quanzi server: chats, Moments and a public square.",
            "usage": {"users": {"active_month": counts["user_count"]}},
            "thumbnail": {"url": f"{base}/static/icon.svg"},
            "icon": [],
            "languages": ["zh", "en"],
            "configuration": {
                "urls": {"streaming": _streaming(base), "status": None},
                **_configuration(services),
                "translation": {"enabled": False},
                "vapid": {"public_key": services.webpush.key.public},
            },
            "registrations": {
                "enabled": settings.registration != "closed",
                "approval_required": False,
                "message": None,
            },
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": None},
            "rules": [],
        }
    )


@router.get(f"{V1}/custom_emojis")
async def custom_emojis() -> Response:
    return MastoJSON([])


@router.get(f"{V1}/instance/peers")
async def peers() -> Response:
    return MastoJSON([])  # quanzi does not federate


@router.get(f"{V1}/instance/rules")
async def rules() -> Response:
    return MastoJSON([])


@router.get(f"{V1}/announcements")
async def announcements(viewer: ReadAny) -> Response:
    return MastoJSON([])


@router.get(f"{V1}/filters")
@router.get(f"{V2}/filters")
async def filters(viewer: ReadAny) -> Response:
    return MastoJSON([])


@router.get(f"{V1}/lists")
async def lists(viewer: ReadAny) -> Response:
    return MastoJSON([])


@router.get(f"{V1}/followed_tags")
@router.get(f"{V1}/bookmarks")
@router.get(f"{V1}/mutes")
@router.get(f"{V1}/endorsements")
@router.get(f"{V1}/featured_tags")
@router.get(f"{V1}/conversations")
@router.get(f"{V1}/scheduled_statuses")
async def nothing_here(viewer: ReadAny) -> Response:
    """Things quanzi has not (bookmarks, mutes …), or keeps out of this door (direct
    conversations are chats, which Mastodon clients do not see)."""
    return MastoJSON([])


@router.get(f"{V1}/preferences")
async def preferences(viewer: ReadAny) -> Response:
    return MastoJSON(
        {
            "posting:default:visibility": "public",
            "posting:default:sensitive": False,
            "posting:default:language": None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


@router.get(f"{V1}/trends/statuses")
@router.get(f"{V1}/trends/links")
async def no_trends(request: Request) -> Response:
    return MastoJSON([])
