"""The catalogue of events: every event a client may be sent, each defined once, here, with
the type of its payload (as Zulip's `zerver/lib/event_types.py`).

An action records one with `tx.emit(MESSAGE_NEW(MessageRead.of(...), users=members))`; it is
published after the commit (domain/tx.py, services.py) and reaches the doors through the bus.
Consumers match on the types' names (`event.type == POST_NEW.name`), never on a string of
their own: the native stream sends every event to the accounts it names as
`{"type": name, "payload": payload}` (api/native/ws.py, and so the web pages' live updates,
web/static/app.js), and the Mastodon streams translate the square's and the notifications'
(api/mastodon/hub.py).

Payloads are the areas' shapes (`domain/<area>/shapes.py`) where the event carries an object
the client shows, or a small model of ids here where it only says what changed. So this module
sits above the areas' shapes and below their actions, and realtime/ (which may not import the
domain) knows only `Event` and `EventType`. Ids travel as strings, as in every response.

A new area adds its events here, with its shapes as payloads, and emits them from its actions;
the doors that show them match on the names below.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from quanzi.domain.accounts.shapes import AccountSelf
from quanzi.domain.chat.shapes import MessageRead
from quanzi.domain.moments.shapes import CommentRead, LikeEvent, MomentRead
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.kit.wire import Id
from quanzi.realtime.events import EventType

# Payloads that only say what changed


class AccountRef(BaseModel):
    account_id: Id


class ConversationChange(BaseModel):
    conversation_id: Id
    version: Id


class ReadState(BaseModel):
    conversation_id: Id
    read_seq: int
    unread: int
    total_unread: int


class TypingNotice(BaseModel):
    conversation_id: Id
    account_id: Id


class PresenceChange(BaseModel):
    account_id: Id
    online: bool


class NotificationsRead(BaseModel):
    up_to_id: Id | None
    ids: list[Id]


class MomentRef(BaseModel):
    moment_id: Id


class MomentUnlike(BaseModel):
    moment_id: Id
    account_id: Id


class MomentCommentRef(BaseModel):
    moment_id: Id
    comment_id: Id


class PostRef(BaseModel):
    """A post that changed: the doors read it for each viewer (domain/square/queries.py)."""

    post_id: Id
    author_id: Id


class PublicPost(BaseModel):
    """A public post that changed, for whoever watches the public square and its topics."""

    post_id: Id
    author_id: Id
    change: Literal["new", "updated", "deleted"]
    topics: list[str]  # topic keys (kit/posttext.topic_key)


# Accounts
ACCOUNT_UPDATED = EventType("account.updated", AccountSelf)  # to the account's own devices

# Contacts: to the one whose contact list changed
CONTACT_ADDED = EventType("contact.added", AccountRef)
CONTACT_UPDATED = EventType("contact.updated", AccountRef)
CONTACT_REMOVED = EventType("contact.removed", AccountRef)
CONTACT_BLOCKED = EventType("contact.blocked", AccountRef)
CONTACT_UNBLOCKED = EventType("contact.unblocked", AccountRef)

# Chats: to the conversation's active members
MESSAGE_NEW = EventType("message.new", MessageRead)
CONVERSATION_UPDATED = EventType("conversation.updated", ConversationChange)
CONVERSATION_READ = EventType("conversation.read", ReadState)  # to the reader's devices
TYPING = EventType("typing", TypingNotice)  # bus only, never stored
PRESENCE = EventType("presence", PresenceChange)  # to mutual friends; bus only

# Notifications: to the notified account
NOTIFICATION_NEW = EventType("notification.new", NotificationRead)
NOTIFICATIONS_READ = EventType("notifications.read", NotificationsRead)

# Moments: to exactly who may see the Moment (moments/rules.viewers_of)
MOMENT_NEW = EventType("moment.new", MomentRead)  # as the recipient sees it
MOMENT_DELETED = EventType("moment.deleted", MomentRef)
MOMENT_LIKED = EventType("moment.liked", LikeEvent)
MOMENT_UNLIKED = EventType("moment.unliked", MomentUnlike)
MOMENT_COMMENTED = EventType("moment.commented", CommentRead)
MOMENT_COMMENT_DELETED = EventType("moment.comment_deleted", MomentCommentRef)

# The square: to the author and the post's audience (square/announce.py), in chunks
POST_NEW = EventType("post.new", PostRef)
POST_UPDATED = EventType("post.updated", PostRef)
POST_DELETED = EventType("post.deleted", PostRef)
# For everyone watching the public square live (Mastodon's public and hashtag streams): a public
# post was made, edited or deleted. Emitted with no users, so only processes that keep public
# watchers act on it; the native gateway ignores it. It carries ids only: each watcher is shown
# the post as the domain renders it for them.
POST_PUBLIC = EventType("post.public", PublicPost)

# Every type above, in the order defined
CATALOGUE: tuple[EventType, ...] = tuple(  # type: ignore[type-arg]
    kind for kind in list(globals().values()) if isinstance(kind, EventType)
)
