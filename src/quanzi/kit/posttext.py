"""What a post says besides its words: #topics#, @mentions and links.

Topics come in two spellings: Weibo's `#话题#` (between two #, spaces and Chinese allowed) and
the Western `#tag` (a # followed by letters, digits or _, with no closing #). Both name the same
topic when they fold to the same key: `#Python#` and `#python` are one topic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from html import escape
from typing import Literal, NamedTuple

from quanzi.kit.text import HANDLE_PATTERN, clean_line, handle_key

TOPIC_MAX = 50
# Weibo style: no space just inside the #s, and not glued to a word before (a#b#, &#39;).
WEIBO_TOPIC = re.compile(
    r"(?<![A-Za-z0-9_&])#([^#\s](?:[^#\n]{0,48}[^#\s])?)#"  # at most TOPIC_MAX characters
)
TAG = re.compile(r"(?<![A-Za-z0-9_#&])#(\w{1,50})(?![\w#])")
MENTION = re.compile(rf"(?<![A-Za-z0-9_@/.])@({HANDLE_PATTERN})(?![A-Za-z0-9_])")
# A link ends at white space, quotes, angle brackets, and at Chinese, Japanese or Korean
# characters and full-width punctuation, as on Weibo and Twitter ("看https://x.cn/a好的" links
# https://x.cn/a; such a path, copied from a browser, is %-encoded).
LINK = re.compile(
    r"https?://[^\s<>\"'\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+",
    re.IGNORECASE,
)
EXCERPT = 140


def topic_key(name: str) -> str:
    """The form a topic is unique under: NFKC, case-folded, no control characters, inner
    spaces collapsed."""
    return clean_line(unicodedata.normalize("NFKC", name)).casefold()


def topics(text: str) -> list[str]:
    """Topic names in the order they appear, without repeats (by key): the topics that `parts`
    shows as such (a # inside a link names none)."""
    found: dict[str, str] = {}
    for part in parts(text):
        if part.kind == "topic" and part.value:
            found.setdefault(topic_key(part.value), part.value)
    return list(found.values())


def mentions(text: str) -> list[str]:
    """The keys (`handle_key`) of the handles mentioned with @, without repeats."""
    seen: dict[str, None] = {}
    for m in MENTION.finditer(LINK.sub(" ", text)):
        key = handle_key(m.group(1))
        if key is not None:
            seen.setdefault(key, None)
    return list(seen)


def excerpt(text: str, length: int = EXCERPT) -> tuple[str, bool]:
    """The first `length` characters, and whether there is more ("全文" / "more")."""
    if len(text) <= length:
        return text, False
    return text[:length].rstrip(), True


# The @someone of a repost chain's "//@someone:" (not of "//@xhttp://": that ends in a link).
CHAIN = re.compile(rf"(?<=//)@({HANDLE_PATTERN})(?=:(?!//))")
# Everything in a post that becomes a link, in one pass: links, the @handles of a repost chain,
# topics both ways, mentions. At one place the first alternative wins, so a # inside a link is
# not a topic. The named group of a match is its `lastgroup` (it closes after the groups nested
# in it). Only links have letters whose case matters (HTTPS://).
_MARKED = re.compile(
    "|".join(
        f"(?P<{name}>{pattern.pattern})"
        for name, pattern in (
            ("link", LINK),
            ("chain", CHAIN),
            ("weibo", WEIBO_TOPIC),
            ("tag", TAG),
            ("mention", MENTION),
        )
    ),
    re.IGNORECASE,
)
_LINKS = re.compile(f"(?P<link>{LINK.pattern})", re.IGNORECASE)  # for text without topics
_TRAILING = ".,;:!?)]}"  # ends a sentence rather than the link before it

Kind = Literal["text", "link", "topic", "mention", "chain"]


class Part(NamedTuple):
    """A piece of a post's text. `text` is what is shown, as written; `value` is what it
    names: a link's URL, a topic's name (inner spaces collapsed), the handle (without @) of a
    mention or of a repost chain's `//@handle:` (whose words follow), nothing for text."""

    kind: Kind
    text: str
    value: str = ""


def parts(text: str, limit: int | None = None, *, links_only: bool = False) -> Sequence[Part]:
    """`text` cut into parts, in order, nothing lost: joining their `text` gives `text` back.
    With `limit`, only the first `limit` characters (a feed's excerpt); a link, topic or
    mention cut short there is only text. With `links_only`, only links are found (in text
    where topics and mentions mean nothing, as a Moment's)."""
    found = _parts(text, links_only)
    return found if limit is None else _cut(found, limit)


# Pages show the same posts to many readers one after another (a home timeline, a topic), so
# the cutting of recent texts is kept; each is at most a post's length.
@lru_cache(maxsize=1024)
def _parts(text: str, links_only: bool) -> tuple[Part, ...]:
    out: list[Part] = []
    at = 0
    for m in (_LINKS if links_only else _MARKED).finditer(text):
        if m.start() > at:
            out.append(Part("text", text[at : m.start()]))
        whole, kind = m.group(0), m.lastgroup
        if kind == "link":
            whole = whole.rstrip(_TRAILING)
            out.append(Part("link", whole, whole))
        elif kind in ("weibo", "tag"):
            out.append(Part("topic", whole, " ".join(whole.strip("#").split())))
        else:
            out.append(Part("chain" if kind == "chain" else "mention", whole, whole[1:]))
        at = m.start() + len(whole)
    if at < len(text):
        out.append(Part("text", text[at:]))
    return tuple(out)


def _cut(found: Sequence[Part], limit: int) -> list[Part]:
    out: list[Part] = []
    left = limit
    for part in found:
        if len(part.text) > left:
            if left:
                out.append(Part("text", part.text[:left].rstrip()))
            break
        out.append(part)
        left -= len(part.text)
    return out


def links(text: str) -> list[str]:
    return [m.group(0).rstrip(_TRAILING) for m in LINK.finditer(text)]


def to_html(text: str, *, href: Callable[[Part], str | None]) -> str:
    """A post's text as the HTML that Mastodon clients show: escaped, paragraphs and line
    breaks kept, links linked, #topics#, @mentions and the `//@handle:` of a repost chain
    linked where `href` gives them a link (mentions and chains as Mastodon's h-card); the
    others stay text."""
    out: list[str] = []
    for part in parts(text):
        shown = escape(part.text)
        if part.kind == "text":
            out.append(shown)
        elif part.kind == "link":
            out.append(f'<a href="{shown}" rel="nofollow noopener" target="_blank">{shown}</a>')
        elif (to := href(part)) is None:
            out.append(shown)
        elif part.kind == "topic":
            out.append(f'<a href="{escape(to)}" class="mention hashtag" rel="tag">{shown}</a>')
        else:
            out.append(
                f'<span class="h-card"><a href="{escape(to)}" class="u-url mention">'
                f"@<span>{escape(part.value)}</span></a></span>"
            )
    paragraphs = "".join(out).split("\n\n")
    return "".join(f"<p>{p.strip(chr(10)).replace(chr(10), '<br />')}</p>" for p in paragraphs)
