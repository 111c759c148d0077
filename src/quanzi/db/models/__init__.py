"""All tables; importing this module registers them on Base.metadata."""

from quanzi.db.models.accounts import Account, AuthSession, Invite
from quanzi.db.models.base import Base, BigId, UTCDateTime
from quanzi.db.models.media import Media
from quanzi.db.models.ops import Counter, IdempotencyKey

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "BigId",
    "Counter",
    "IdempotencyKey",
    "Invite",
    "Media",
    "UTCDateTime",
]
