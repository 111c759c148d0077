"""What a post says besides its words: #topics#, @mentions and links.

Topics come in two spellings: Weibo's `#话题#` (between two #, spaces and Chinese allowed) and
the Western `#tag` (a # followed by letters, digits or _, with no closing #). Both name the same
topic when they fold to the same key: `#Python#` and `#python` are one topic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from html import escape

from quanzi.kit.text import HANDLE_PATTERN, clean_line, handle_key

TOPIC_MAX = 50
# Weibo style: no space just inside the #s, and not glued to a word before (a#b#, &#39;).
WEIBO_TOPIC = re.compile(
    r"(?<![A-Za-z0-9_&])#([^#\s](?:[^#\n]{0,48}[^#\s])?)#"  # at most TOPIC_MAX characters
)
TAG = re.compile(r"(?<![A-Za-z0-9_#&])#(\w{1,50})(?![\w#])")
MENTION = re.compile(rf"(?<![A-Za-z0-9_@/.])@({HANDLE_PATTERN})(?![A-Za-z0-9_])")
LINK = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE)
EXCERPT = 140


def topic_key(name: str) -> str:
    """The form a topic is unique under: NFKC, case-folded, no control characters, inner
    spaces collapsed."""
    return clean_line(unicodedata.normalize("NFKC", name)).casefold()


def topics(text: str) -> list[str]:
    """Topic names in the order they appear, without repeats (by key)."""
    found: dict[str, str] = {}
    rest = text
    for m in WEIBO_TOPIC.finditer(text):
        name = " ".join(m.group(1).split())
        if name:
            found.setdefault(topic_key(name), name)
    rest = WEIBO_TOPIC.sub(" ", text)
    for m in TAG.finditer(rest):
        found.setdefault(topic_key(m.group(1)), m.group(1))
    return list(found.values())


def mentions(text: str) -> list[str]:
    """The keys (`handle_key`) of the handles mentioned with @, without repeats."""
    seen: dict[str, None] = {}
    for m in MENTION.finditer(LINK.sub(" ", text)):
        key = handle_key(m.group(1))
        if key is not None:
            seen.setdefault(key, None)
    return list(seen)


def links(text: str) -> list[str]:
    return [m.group(0).rstrip(".,;:!?)]}") for m in LINK.finditer(text)]


def excerpt(text: str, length: int = EXCERPT) -> tuple[str, bool]:
    """The first `length` characters, and whether there is more ("全文" / "more")."""
    if len(text) <= length:
        return text, False
    return text[:length].rstrip(), True


# Everything in a post that becomes a link, in one pass: topics both ways, mentions, links. The
# named group of a match is its `lastgroup` (it closes after the groups nested in it).
_MARKED = re.compile(
    "|".join(
        f"(?P<{name}>{pattern.pattern})"
        for name, pattern in (
            ("link", LINK),
            ("weibo", WEIBO_TOPIC),
            ("tag", TAG),
            ("mention", MENTION),
        )
    )
)


def to_html(
    text: str,
    *,
    mention_href: Callable[[str], str | None],
    topic_href: Callable[[str], str],
) -> str:
    """A post's text as the HTML that Mastodon clients show: escaped, paragraphs and line
    breaks kept, links, #topics# and @mentions (of accounts `mention_href` knows by handle
    key) linked; other @handles stay text."""
    out: list[str] = []
    at = 0
    for m in _MARKED.finditer(text):
        out.append(escape(text[at : m.start()]))
        at = m.end()
        whole = m.group(0)
        if m.lastgroup == "link":
            url = whole.rstrip(".,;:!?)]}")
            at = m.start() + len(url)
            out.append(f'<a href="{escape(url)}" rel="nofollow noopener" target="_blank">')
            out.append(f"{escape(url)}</a>")
        elif m.lastgroup in ("weibo", "tag"):
            name = " ".join(whole.strip("#").split())
            href = escape(topic_href(name))
            out.append(f'<a href="{href}" class="mention hashtag" rel="tag">{escape(whole)}</a>')
        else:
            href_or_none = mention_href(handle_key(whole) or "")
            if href_or_none is None:
                out.append(escape(whole))
            else:
                out.append(
                    f'<span class="h-card"><a href="{escape(href_or_none)}" class="u-url mention">'
                    f"@<span>{escape(whole[1:])}</span></a></span>"
                )
    out.append(escape(text[at:]))
    paragraphs = "".join(out).split("\n\n")
    return "".join(f"<p>{p.strip(chr(10)).replace(chr(10), '<br />')}</p>" for p in paragraphs)
