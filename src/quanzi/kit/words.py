"""Cutting text into words for full-text search, Chinese included.

Chinese is written without spaces; both databases' full-text engines split on spaces and
punctuation, so text is cut into words first (jieba, in its search mode: a long word also
yields its shorter words, so 朋友圈 is found by 朋友). Documents and queries are cut the same
way; a query then matches whole words, never the middle of one (友圈 matches nothing in 朋友圈).

jieba cuts a text into runs of Chinese, Latin letters, digits and a few signs, and each run
word by word. A run of ASCII alone is cut here the way jieba would (at the same places), without
the dictionary walk that jieba spends on every letter: an English text costs a fifth of what it
did. tests/test_kit.py holds both ways to the same words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

import jieba
import jieba.finalseg

_ready = threading.Lock()
_loaded = False
_WORD = re.compile(r"\w", re.UNICODE)
MAX_QUERY_WORDS = 12
_RUN = jieba.re_han_default  # the runs jieba cuts (between them, it yields each character)
_ASCII_PARTS = jieba.finalseg.re_skip  # how it cuts a run it has no dictionary word for
# The dictionary's ASCII words (c++, c#): a run holding one is left to jieba. Set on loading.
_ascii_words: tuple[str, ...] = ()


def load() -> None:
    """Load the dictionary now (a server does it at start, before freezing what start-up
    made, so that the dictionary's ~350,000 objects are not scanned by every full garbage
    collection)."""
    _load()


def _load() -> None:
    global _loaded, _ascii_words
    with _ready:
        if not _loaded:
            jieba.setLogLevel(60)
            jieba.initialize()  # loads the dictionary (~0.6 s), once per process
            _ascii_words = tuple(
                w for w, freq in jieba.dt.FREQ.items() if freq and w.isascii() and w == w.lower()
            )
            _loaded = True


def words(text: str) -> list[str]:
    """The searchable words of `text`, lower-cased, in order, repeats kept."""
    if not _loaded:
        _load()
    text = unicodedata.normalize("NFKC", text).lower()
    return [w for w in (w.strip() for w in _cut(text)) if w and _WORD.search(w)]


def _cut(text: str) -> Iterator[str]:
    """What jieba's search mode yields for `text` (lower-cased)."""
    for i, run in enumerate(_RUN.split(text)):
        if i % 2 == 0:  # what lies between runs
            yield from run
        elif run.isascii() and not any(w in run for w in _ascii_words):
            if run.isalnum():
                yield run
            else:
                yield from (part for part in _ASCII_PARTS.split(run) if part)
        else:
            yield from jieba.cut_for_search(run)


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
