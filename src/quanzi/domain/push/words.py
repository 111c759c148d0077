"""The words of a push, in the subscription's language. A push is read on a lock screen,
outside any page, so the server writes its words, in the language the device asked for when
it subscribed."""

from __future__ import annotations

APP = {"zh": "圈子", "en": "quanzi"}

# Without previews: what happened, never who or what was said.
_QUIET = {
    "message": {"zh": "你收到了一条新消息", "en": "You have a new message"},
    "chat_mention": {"zh": "有人在群聊中@了你", "en": "Someone mentioned you in a group chat"},
    "notification": {"zh": "你有一条新通知", "en": "You have a new notification"},
}

# With previews: "<name> ..." for notifications (the text follows as the body, if any).
_TITLES = {
    "mention": {"zh": "{name} 提到了你", "en": "{name} mentioned you"},
    "comment": {"zh": "{name} 评论了你的微博", "en": "{name} commented on your post"},
    "reply": {"zh": "{name} 回复了你的评论", "en": "{name} replied to your comment"},
    "repost": {"zh": "{name} 转发了你的微博", "en": "{name} reposted your post"},
    "like": {"zh": "{name} 赞了你的微博", "en": "{name} liked your post"},
    "comment_like": {"zh": "{name} 赞了你的评论", "en": "{name} liked your comment"},
    "follow": {"zh": "{name} 关注了你", "en": "{name} followed you"},
    "follow_request": {"zh": "{name} 请求关注你", "en": "{name} asked to follow you"},
    "follow_accepted": {"zh": "{name} 同意了你的关注", "en": "{name} accepted your follow"},
    "group_invite": {"zh": "{name} 邀请你加入群聊", "en": "{name} invited you to a group chat"},
    "chat_mention": {"zh": "{name} 在群聊中@了你", "en": "{name} mentioned you"},
}
_PICTURE = {"zh": "[图片]", "en": "[Photo]"}
_RECORD = {"zh": "[聊天记录]", "en": "[Chat history]"}
_SOMEONE = {"zh": "有人", "en": "Someone"}


def language_of(wanted: str | None) -> str:
    """The language a device's words are written in: Chinese unless it asked for English."""
    return "en" if (wanted or "").lower().startswith("en") else "zh"


def quiet(kind: str, language: str) -> str:
    return _QUIET.get(kind, _QUIET["notification"])[language]


def titled(kind: str, name: str | None, language: str) -> str:
    words = _TITLES.get(kind)
    if words is None:
        return quiet("notification", language)
    return words[language].format(name=name or _SOMEONE[language])


def picture(language: str) -> str:
    return _PICTURE[language]


def record(language: str) -> str:
    return _RECORD[language]


def cut(text: str, limit: int = 120) -> str:
    """A preview: the first `limit` characters, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
