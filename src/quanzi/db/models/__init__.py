"""All tables; importing this module registers them on Base.metadata."""

from quanzi.db.models.accounts import Account, AuthSession, Invite, Revocation
from quanzi.db.models.base import Base, BigId, UTCDateTime
from quanzi.db.models.chat import Conversation, Member, Message, MessageMedia
from quanzi.db.models.contacts import Block, Contact, Follow, FriendRequest, Label, LabelMember
from quanzi.db.models.jobs import JobRow
from quanzi.db.models.media import Media
from quanzi.db.models.moments import Moment, MomentAudience, MomentComment, MomentLike, MomentMedia
from quanzi.db.models.notifications import Notification
from quanzi.db.models.oauth import Marker, OAuthApp, OAuthAppToken, OAuthCode
from quanzi.db.models.ops import Counter, IdempotencyKey
from quanzi.db.models.push import PushSubscription
from quanzi.db.models.square import (
    Comment,
    CommentLike,
    Community,
    CommunityMember,
    Post,
    PostEdit,
    PostLike,
    PostMedia,
    PostMention,
    PostTopic,
    PostView,
    Topic,
    TopicEvent,
    TrendingTopic,
)

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "BigId",
    "Block",
    "Comment",
    "CommentLike",
    "Community",
    "CommunityMember",
    "Contact",
    "Conversation",
    "Counter",
    "Follow",
    "FriendRequest",
    "IdempotencyKey",
    "Invite",
    "JobRow",
    "Label",
    "LabelMember",
    "Marker",
    "Media",
    "Member",
    "Message",
    "MessageMedia",
    "Moment",
    "MomentAudience",
    "MomentComment",
    "MomentLike",
    "MomentMedia",
    "Notification",
    "OAuthApp",
    "OAuthAppToken",
    "OAuthCode",
    "Post",
    "PostEdit",
    "PostLike",
    "PostMedia",
    "PostMention",
    "PostTopic",
    "PostView",
    "PushSubscription",
    "Revocation",
    "Topic",
    "TopicEvent",
    "TrendingTopic",
    "UTCDateTime",
]
