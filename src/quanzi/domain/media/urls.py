"""Media URLs as capabilities: whoever holds one may load the file, with no header.

A URL names the media and carries a signature, `/media/<id>/<token>` (and `.../thumb` for the
thumbnail): an HMAC-SHA256, under a key derived from the server's secret, of the media id and
of what the media is attached to as it is rendered ("post" 42, "message" 7, "avatar" of
account 3 ...; "upload" of its owner while it is attached to nothing). Rendering signs with
what it already has in hand (the post, message or account being shown), so showing an image
costs one HMAC and no read.

Serving (`queries.media_by_url`) accepts the token only if the media is attached to that
holder *now*. So a URL stops working, for everyone, when its media is erased or leaves what it
was shown with: the post or Moment deleted, the message recalled, the avatar or group picture
replaced (`attached_to` and the holder's row say so: nothing to rotate, nothing to forget).
A Moment's audience can also shrink while the Moment stays (its author removes a friend,
blocks someone, edits a label, narrows the window): the author's Moment photos then get a new
`url_version`, which their signature includes, so the URLs handed out before stop working.

A URL does not expire with time: Mastodon apps keep timelines for days and show them again.
It reveals the media id and nothing about who was given it (everyone who may see a post gets
the same URL).
"""

from __future__ import annotations

import hmac
from base64 import urlsafe_b64encode
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

TOKEN_BYTES = 16  # 128 bits of the HMAC: 22 characters in the URL
TOKEN_LENGTH = 22
# Pages show the same images again and again (timelines, avatars): the links of the latest
# ones are kept (about 5 MiB), so most images cost a lookup rather than signing (~4 µs).
LINKS_KEPT = 8_192
UPLOAD = "upload"  # the holder of media attached to nothing: its owner (account id)


class Holder(NamedTuple):
    """What a media is shown with: the `attached_to` kind (or UPLOAD) and the row's id; for
    a Moment's photo also the media's `url_version`, moved on when the author narrows who may
    see their Moments (moments/actions.renew_photo_urls)."""

    kind: str
    id: int
    version: int = 0


class Links(NamedTuple):
    url: str
    thumbnail_url: str


class MediaUrls:
    """Signs media URLs for one server (made once per process, `Services.media_urls`)."""

    __slots__ = ("_hmac", "base", "links")

    def __init__(self, base: str, secret: bytes) -> None:
        self.base = base
        # A key of its own, so a media token can never be taken for another signature; the
        # HMAC with that key is set up once and copied for each token (about half the cost).
        key = hmac.digest(secret, b"quanzi media url v1", "sha256")
        self._hmac = hmac.new(key, digestmod="sha256")
        self.links: Callable[[int, Holder], Links] = lru_cache(maxsize=LINKS_KEPT)(self._links)

    def token(self, media_id: int, holder: Holder) -> str:
        mac = self._hmac.copy()
        mac.update(f"{media_id}/{holder.kind}/{holder.id}/{holder.version}".encode())
        return urlsafe_b64encode(mac.digest()[:TOKEN_BYTES]).rstrip(b"=").decode()

    def matches(self, token: str, media_id: int, holder: Holder) -> bool:
        return hmac.compare_digest(token.encode(), self.token(media_id, holder).encode())

    def path(self, media_id: int, holder: Holder) -> str:
        """The file's URL without the server's address (what the web pages use)."""
        return f"/media/{media_id}/{self.token(media_id, holder)}"

    def _links(self, media_id: int, holder: Holder) -> Links:
        """The file's and the thumbnail's URLs (as `links`, which keeps the latest)."""
        url = f"{self.base}/media/{media_id}/{self.token(media_id, holder)}"
        return Links(url, f"{url}/thumb")

    def avatar(self, account_id: int, media_id: int | None) -> Links | None:
        """An account's profile picture, if it has one."""
        if media_id is None:
            return None
        return self.links(media_id, Holder("avatar", account_id))

    def group_avatar(self, conversation_id: int, media_id: int | None) -> Links | None:
        """A group chat's picture, if it has one."""
        if media_id is None:
            return None
        return self.links(media_id, Holder("group_avatar", conversation_id))
