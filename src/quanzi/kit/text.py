"""Text rules shared by every door: handles, display names, free text."""

from __future__ import annotations

import re
import unicodedata

# A handle: 3 to 30 ASCII letters, digits or _, starting with a letter. Written once: the
# patterns that find handles in text (@mentions, repost chains) are made from it.
HANDLE_PATTERN = r"[A-Za-z][A-Za-z0-9_]{2,29}"
_HANDLE = re.compile(HANDLE_PATTERN)
_HANDLE_START = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,29}")

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


def is_valid_handle(handle: str) -> bool:
    """May `handle` be registered: exactly a handle, with nothing around or inside it (no
    space, newline, control, zero-width or full-width character)."""
    return _HANDLE.fullmatch(handle) is not None


def handle_key(text: str) -> str | None:
    """The key of the handle that `text` names (its lower case, under which handles are
    unique), or None when it names none.

    Every way of finding an account by its handle (log in, lookup, search, mentions, the
    reserved names) asks this, so they all agree. White space around the text (a phone
    keyboard's trailing space, a pasted newline) and one `@` in front are not part of the
    name; anything else that is not exactly a handle names no one. Registration takes only
    exact handles (`is_valid_handle`), so two spellings that this reads alike can never both
    be accounts. Handles are ASCII, and no Unicode folding (NFKC, case folding) is applied:
    a full-width `ａｌｉｃｅ` or a Kelvin sign is not `alice`, so one handle has one spelling
    up to ASCII case."""
    name = text.strip().removeprefix("@")
    return name.lower() if _HANDLE.fullmatch(name) else None


def handle_prefix_key(text: str) -> str | None:
    """`handle_key` for the beginning of a handle (1 to 30 characters), as a search box has
    it while someone types."""
    name = text.strip().removeprefix("@")
    return name.lower() if _HANDLE_START.fullmatch(name) else None


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


def shorten(text: str, limit: int) -> str:
    """A preview of user text on one line: its whitespace collapsed, cut to `limit`
    characters (the last one an ellipsis when it was longer)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
