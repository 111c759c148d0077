"""Pure helpers: ids, pagination windows, text rules."""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from datetime import UTC, datetime, timedelta

import jieba

from quanzi.kit.ids import MAX_ID, IdGenerator, id_at, new_id, time_of
from quanzi.kit.pagination import Page, Window
from quanzi.kit.text import clean_line, clean_text, is_valid_handle, shorten
from quanzi.kit.words import Term, name_tokens, query_terms, query_words, search_tokens, words


def test_ids_increase_and_fit_a_signed_bigint() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(0 < i <= MAX_ID for i in ids)


def test_ids_are_unique_across_threads() -> None:
    gen = IdGenerator(7)
    found: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [gen.next() for _ in range(5_000)]
        with lock:
            found.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 20_000


def test_ids_from_different_nodes_differ() -> None:
    a, b = IdGenerator(1), IdGenerator(2)
    assert {a.next() for _ in range(1000)}.isdisjoint({b.next() for _ in range(1000)})


def test_id_carries_its_time() -> None:
    before = datetime.now(UTC) - timedelta(milliseconds=5)
    ident = new_id()
    assert before <= time_of(ident) <= datetime.now(UTC) + timedelta(milliseconds=5)
    assert id_at(datetime.now(UTC) - timedelta(seconds=1)) < ident


def test_page_knows_when_more_exist() -> None:
    window = Window(limit=2)
    page = Page.build([5, 4, 3], window, lambda x: x)
    assert list(page.items) == [5, 4]
    assert (page.next_max_id, page.prev_min_id) == (4, 5)
    last = Page.build([2, 1], window, lambda x: x)
    assert last.next_max_id is None


def test_min_id_pages_are_returned_newest_first() -> None:
    page = Page.build([6, 7, 8], Window(min_id=5, limit=2), lambda x: x)
    assert list(page.items) == [7, 6]
    assert page.prev_min_id == 7


def test_handles() -> None:
    assert is_valid_handle("xiao_ming2")
    for bad in ("", "ab", "9lives", "有中文", "a b", "a-b", "x" * 31):
        assert not is_valid_handle(bad)


def test_text_cleaning() -> None:
    assert clean_line("  小\u200b明\u202e\n \t ") == "小明"
    assert clean_text("第一行\r\n第二行  \n\n") == "第一行\n第二行"


async def test_single_flight_runs_one_load_for_concurrent_callers() -> None:
    import asyncio

    from quanzi.kit.singleflight import SingleFlight

    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    flight: SingleFlight[str, int] = SingleFlight()
    results = await asyncio.gather(*(flight.run("k", load) for _ in range(50)))
    assert results == [42] * 50
    assert calls == 1
    assert await flight.run("k", load) == 42  # a later call loads again
    assert calls == 2


async def test_single_flight_survives_a_cancelled_caller() -> None:
    import asyncio

    from quanzi.kit.singleflight import SingleFlight

    async def load() -> str:
        await asyncio.sleep(0.05)
        return "done"

    flight: SingleFlight[str, str] = SingleFlight()
    first = asyncio.create_task(flight.run("k", load))
    second = asyncio.create_task(flight.run("k", load))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == "done"


def _jieba_words(text: str) -> list[str]:
    """The words as jieba's search mode gives them for the whole text, unaided."""
    text = unicodedata.normalize("NFKC", text).lower()
    cut = (w.strip() for w in jieba.cut_for_search(text))
    return [w for w in cut if w and re.search(r"\w", w)]


def test_words_are_cut_as_jieba_cuts_them() -> None:
    # Search finds a post only if its words and the query's are cut alike, and posts written
    # before a change of the cutting keep their stored words: the quick way for ASCII must
    # give exactly what jieba gives. kit/words.py reads three of jieba's internals (the run
    # and ASCII-part patterns, the dictionary's ASCII words): a jieba release that changes any
    # of them fails here.

    samples = [
        "today the weather is fine, let's walk in the park #python 6",
        "I ♥ C++ and c# (not java), 3.14% of e-mail@example.com; AT&T 1,000.5",
        "朋友圈里的T恤和iPhone手机, 3月5日 #周末# 去公园散步",
        "Привет мир! ça va? naïve café — 東京 ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
        "a+b=c x_y z-w 100% 50.5% v1.2.3 ..._- ++ ## &&",
        "\r\n tabs\tand\nlines 🙂 emoji👍ok",
    ]
    alphabet = [*"abcxyzAZ0189+#&._%-, '!?\n\t", *"朋友圈今天天气很好手机恤", "c++", "c#"]
    rng = random.Random(5)
    for _ in range(400):
        samples.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    for text in samples:
        assert words(text) == _jieba_words(text), text
    from quanzi.kit import words as module

    assert {"c++", "c#"} <= set(module._ascii_words), "jieba's dictionary is no longer read"


def test_words_of_english_and_chinese() -> None:
    assert words("Hello, World! c++ 3.14%") == ["hello", "world", "c++", "3.14%"]
    assert "朋友" in words("朋友圈") and "朋友圈" in words("朋友圈")
    assert query_words("the THE the cat") == ["the", "cat"]


def test_english_words_are_stored_with_their_stems() -> None:
    # each word as written (a prefix finds it) and its stem where that differs (fox finds it)
    assert search_tokens("Foxes jumping, 朋友圈 c++") == "foxes fox jumping jump 朋友 朋友圈 c++"


def test_names_keep_each_chinese_character_and_each_pair() -> None:
    assert name_tokens("hanmeimei", "韩梅梅") == "hanmeimei 韩梅梅 韩 梅 梅 韩梅 梅梅"


def test_query_terms_look_up_stems_and_the_last_word_as_a_prefix() -> None:
    assert query_terms("The foxes JUM") == [Term("the"), Term("fox"), Term("jum", "jum")]
    assert query_terms("jumping") == [Term("jump", "jumping")]
    assert query_terms("jump jumped") == [Term("jump", "jumped")]  # one term per stem
    assert query_terms("foxes 朋友") == [Term("fox"), Term("朋友")]  # Chinese: whole words
    assert query_terms("fox jo") == [Term("fox"), Term("jo")]  # two letters: not yet a prefix
    assert query_terms("韩梅梅 lil", names=True) == [Term("韩梅"), Term("梅梅"), Term("lil", "lil")]
    assert query_terms("韩", names=True) == [Term("韩")]
    assert query_terms(" ,. ") == []


def test_shorten_gives_one_line_cut_with_an_ellipsis() -> None:
    assert shorten("  写得\n\n真好  ", 60) == "写得 真好"
    assert shorten("一" * 60, 60) == "一" * 60
    cut = shorten("一" * 61, 60)
    assert cut == "一" * 59 + "…" and len(cut) == 60
    assert shorten("word " * 20, 11) == "word word…"  # no space before the ellipsis
