"""What the domain asks of the running process, named by what it uses.

Most actions take the door's transaction (`Tx`). The few that open their own, around work done
outside any transaction (hashing a password, rate limits, a retried create), are handed an
object with the parts they need; `quanzi.services.Services` has them all and is what the doors
hand in. The domain names these protocols and never imports the composition root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from quanzi.domain.tx import Transactions

if TYPE_CHECKING:
    from quanzi.config import Settings
    from quanzi.domain.accounts.passwords import Passwords
    from quanzi.domain.chat.send import MessageSender
    from quanzi.domain.media.storage import MediaStore
    from quanzi.ratelimit import RateLimiter


class MediaWork(Transactions, Protocol):
    """Transactions, with the server's settings and the media store (an upload is decoded and
    written before its row)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def media_store(self) -> MediaStore: ...


class Limited(Transactions, Protocol):
    """Transactions, with the server's settings and its rate limiter."""

    @property
    def settings(self) -> Settings: ...

    @property
    def limiter(self) -> RateLimiter: ...


class PasswordWork(Limited, Protocol):
    """And the password hasher, whose slots bound the CPU that hashing takes."""

    @property
    def passwords(self) -> Passwords: ...


class AccountWork(PasswordWork, Protocol):
    """And the media store (erasing an account removes its files)."""

    @property
    def media_store(self) -> MediaStore: ...


class ForwardWork(MediaWork, Protocol):
    """And this process's writer of chat messages (forwarding copies pictures, then sends)."""

    @property
    def sender(self) -> MessageSender: ...
