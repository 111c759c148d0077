"""Cutting text into words for full-text search, Chinese included.

Chinese is written without spaces; both databases' full-text engines split on spaces and
punctuation, so text is cut into words first (jieba, in its search mode: a long word also
yields its shorter words, so 朋友圈 is found by 朋友). Documents and queries are cut the same
way; a query then matches whole words, never the middle of one (友圈 matches nothing in 朋友圈).

jieba cuts a text into runs of Chinese, Latin letters, digits and a few signs, and each run
word by word. A run of ASCII alone is cut here the way jieba would (at the same places), without
the dictionary walk that jieba spends on every letter: an English text costs a fifth of what it
did. tests/kit/test_kit.py holds both ways to the same words.

English words are also kept by their stems (the Snowball English stemmer, through PyStemmer:
"foxes" is stored as foxes and fox, "jumping" as jumping and jump), and a query's English words
are looked up by their stems, so fox finds foxes and jumping finds jumped. The last word of a
query is also a prefix (`jum` finds jumping), as search boxes answer while one types. Names are
short and people look for them by any part: a name also keeps each Chinese character and each
pair of neighbouring ones, and a name query is cut into such pairs (韩梅 and 梅梅 find 韩梅梅).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jieba
import jieba.finalseg
import Stemmer

_ready = threading.Lock()
_loaded = False
_WORD = re.compile(r"\w", re.UNICODE)
MAX_QUERY_WORDS = 12
# The shortest last word of a query taken as a prefix: on the benchmarks' million posts, "co"*
# matches 74,000 (FTS5 merges the lists of all the words that begin so: ~0.3 s), "cof"* 20,000.
PREFIX_MIN_CHARS = 3
_HAN = re.compile("([\u3400-\u4dbf\u4e00-\u9fff]+)")  # Chinese characters (CJK, extension A)
_stemmers = threading.local()  # a Stemmer must not be used by two threads at once
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


def stem(word: str) -> str:
    """The English stem of a word of ASCII letters (foxes: fox); any other word as it is."""
    if not (word.isascii() and word.isalpha()):
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word))


def _with_stems(words: Iterable[str]) -> Iterator[str]:
    for word in words:
        yield word
        stemmed = stem(word)
        if stemmed != word:
            yield stemmed


def search_tokens(*parts: str) -> str:
    """What to store for a document: its words, each followed by its stem where that differs,
    space-separated."""
    return " ".join(_with_stems(w for part in parts for w in words(part)))


def _pairs(run: str) -> list[str]:
    """A run of Chinese characters as pairs of neighbours (a lone character as itself)."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def name_tokens(*names: str) -> str:
    """What to store for a name: its words (and stems), plus each Chinese character on its own
    and each pair of neighbouring ones, so that 张 finds 张伟 and 梅梅 finds 韩梅梅."""
    parts = []
    for name in names:
        for run in _HAN.findall(unicodedata.normalize("NFKC", name)):
            parts.extend(run)
            if len(run) > 1:
                parts.extend(_pairs(run))
    return " ".join([search_tokens(*names), *parts]).strip()


def query_words(query: str) -> list[str]:
    """The distinct words of a query (at most MAX_QUERY_WORDS)."""
    seen: dict[str, None] = {}
    for word in words(query):
        seen.setdefault(word, None)
    return list(seen)[:MAX_QUERY_WORDS]


@dataclass(frozen=True, slots=True)
class Term:
    """A word of a query: a document matches it if it holds `token`, or (the word being typed)
    a word that begins with `prefix`."""

    token: str
    prefix: str | None = None


def query_terms(query: str, *, names: bool = False) -> list[Term]:
    """What a document must hold to match `query`: every term (at most MAX_QUERY_WORDS).
    English words are looked up by their stems, and the last word, if it is not Chinese and
    has PREFIX_MIN_CHARS or more, is also a prefix. For `names`, Chinese is cut into pairs of
    characters as name_tokens stores it, not into words."""
    typed = _name_query_words(query) if names else words(query)
    if not typed:
        return []
    terms: dict[str, str | None] = {}
    for word in typed:
        terms.setdefault(stem(word), None)
    last = typed[-1]
    if len(last) >= PREFIX_MIN_CHARS and last.isalnum() and not _HAN.search(last):
        terms[stem(last)] = last
    return [Term(token, prefix) for token, prefix in terms.items()][:MAX_QUERY_WORDS]


def _name_query_words(query: str) -> list[str]:
    found = []
    for i, piece in enumerate(_HAN.split(unicodedata.normalize("NFKC", query))):
        found.extend(_pairs(piece) if i % 2 else words(piece))
    return found
