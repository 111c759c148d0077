"""All tables; importing this module registers them on Base.metadata."""

from quanzi.db.models.accounts import Account, AuthSession, Invite
from quanzi.db.models.base import Base, BigId, UTCDateTime
from quanzi.db.models.chat import Conversation, Member, Message
from quanzi.db.models.contacts import Block, Contact, Follow, FriendRequest, Label, LabelMember
from quanzi.db.models.media import Media
from quanzi.db.models.notifications import Notification
from quanzi.db.models.ops import Counter, IdempotencyKey

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "BigId",
    "Block",
    "Contact",
    "Conversation",
    "Counter",
    "Follow",
    "FriendRequest",
    "IdempotencyKey",
    "Invite",
    "Label",
    "LabelMember",
    "Media",
    "Member",
    "Message",
    "Notification",
    "UTCDateTime",
]
