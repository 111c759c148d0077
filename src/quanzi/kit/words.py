"""Cutting text into words for full-text search, Chinese included.

Chinese is written without spaces; both databases' full-text engines split on spaces and
punctuation, so text is cut into words first (jieba, in its search mode: a long word also
yields its shorter words, so 朋友圈 is found by 朋友). Documents and queries are cut the same
way; a query then matches whole words, never the middle of one (友圈 matches nothing in 朋友圈).
"""

from __future__ import annotations

import re
import threading
import unicodedata

import jieba

_ready = threading.Lock()
_loaded = False
_WORD = re.compile(r"\w", re.UNICODE)
MAX_QUERY_WORDS = 12


def load() -> None:
    """Load the dictionary now (a server does it at start, before freezing what start-up
    made, so that the dictionary's ~350,000 objects are not scanned by every full garbage
    collection)."""
    _load()


def _load() -> None:
    global _loaded
    with _ready:
        if not _loaded:
            jieba.setLogLevel(60)
            jieba.initialize()  # loads the dictionary (~0.6 s), once per process
            _loaded = True


def words(text: str) -> list[str]:
    """The searchable words of `text`, lower-cased, in order, repeats kept."""
    if not _loaded:
        _load()
    text = unicodedata.normalize("NFKC", text).lower()
    return [w for w in (w.strip() for w in jieba.cut_for_search(text)) if w and _WORD.search(w)]


def search_tokens(*parts: str) -> str:
    """What to store for a document: its words, space-separated."""
    return " ".join(w for part in parts for w in words(part))


def name_tokens(*names: str) -> str:
    """What to store for a name: its words plus each Chinese character on its own, so that a
    search for 张 finds 张伟 (names are short, and people look for them by any part)."""
    chars = [c for name in names for c in name if "\u4e00" <= c <= "\u9fff"]
    return " ".join([search_tokens(*names), *chars]).strip()


def query_words(query: str) -> list[str]:
    """The distinct words of a query (at most MAX_QUERY_WORDS)."""
    seen: dict[str, None] = {}
    for word in words(query):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]
