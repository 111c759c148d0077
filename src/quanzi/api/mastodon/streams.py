"""Mastodon's streams: which stream names there are, what feeds each, and who may read it.

Streams: `user` (what reaches the home timeline, and notifications), `user:notification`,
`public` and `hashtag` (each with a `:local` twin that is the same here: every account is
local; `public:media` keeps statuses with images). The remote streams exist and stay quiet:
nothing comes from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quanzi.api.mastodon.auth import caller_of
from quanzi.domain.accounts.doors import Door, admit
from quanzi.domain.accounts.sessions import Principal
from quanzi.errors import BadRequest, Unauthorized
from quanzi.kit.posttext import topic_key
from quanzi.services import Services

MAX_TAG = 100

# Mastodon's stream names -> what feeds them here. "local" changes nothing (every account is
# local) and nothing comes from elsewhere, so the remote streams stay quiet.
CHANNELS = {
    "user": "home",
    "user:notification": "notifications",
    "public": "public",
    "public:local": "public",
    "public:media": "public",
    "public:local:media": "public",
    "public:remote": None,
    "public:remote:media": None,
    "hashtag": "tag",
    "hashtag:local": "tag",
}


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream a client reads: its Mastodon name, and the tag of a hashtag stream as the
    client wrote it (echoed back in WebSocket messages)."""

    name: str
    tag: str | None = None

    @property
    def channel(self) -> str | None:
        return CHANNELS[self.name]

    @property
    def key(self) -> str:
        """The topic a hashtag stream follows, as topics are keyed."""
        return topic_key(self.tag or "")

    @property
    def personal(self) -> bool:
        return self.channel in ("home", "notifications")

    @property
    def media_only(self) -> bool:
        return self.name.endswith(":media")

    @property
    def label(self) -> list[str]:
        return [self.name] if self.tag is None else [self.name, self.tag]


def stream_of(name: Any, tag: Any = None) -> Stream:
    """The stream a client asks for, or BadRequest."""
    if not isinstance(name, str) or name not in CHANNELS:
        raise BadRequest("Unknown stream type", code="unknown_stream")
    if CHANNELS[name] != "tag":
        return Stream(name)
    if not isinstance(tag, str) or not tag.strip().lstrip("#"):
        raise BadRequest("Missing tag name parameter", code="missing_tag")
    return Stream(name, tag.strip().lstrip("#")[:MAX_TAG])


def scope_of(stream: Stream) -> str | None:
    """The scope a token needs to read a stream, as Mastodon asks: `read:statuses` for `user`,
    `read:notifications` for `user:notification`, none for the public and hashtag streams,
    which anyone may read."""
    if not stream.personal:
        return None
    return "read:notifications" if stream.channel == "notifications" else "read:statuses"


def authorize(viewer: Principal | None, stream: Stream) -> None:
    """May this caller read this stream? The user streams need a person, whose token must
    grant the stream's scope (`scope_of`); anyone may read the public ones."""
    if viewer is None:
        if stream.personal:
            raise Unauthorized("Missing access token", code="no_user")
        return
    admit(viewer, Door.MASTODON, scope_of(stream))


async def viewer_of(services: Services, token: str | None) -> Principal | None:
    """The person a token belongs to; None without a token or for an app's own token (which
    reads what anyone may). An unknown token is refused."""
    caller = await caller_of(services, token)
    return caller if isinstance(caller, Principal) else None
