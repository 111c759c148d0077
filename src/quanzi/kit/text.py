"""Text rules shared by every door: handles, display names, free text."""

from __future__ import annotations

import re
import unicodedata

HANDLE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,29}$")

# Handles that would be confusing in URLs or pretend to speak for the server.
RESERVED_HANDLES = frozenset(
    {
        "admin", "administrator", "api", "about", "account", "accounts", "auth", "help",
        "login", "logout", "media", "me", "moderator", "news", "null", "oauth", "official",
        "quanzi", "register", "root", "security", "settings", "signup", "static", "support",
        "system", "undefined", "web", "www", "well_known",
    }
)  # fmt: skip

_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"\s+")


def handle_key(handle: str) -> str:
    """The case-insensitive form under which a handle is unique."""
    return handle.lower()


def is_valid_handle(handle: str) -> bool:
    return bool(HANDLE_RE.match(handle))


def clean_line(text: str) -> str:
    """One line of user text: NFC, no control or direction-override characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Several lines of user text: NFC, no control characters except newlines, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()
