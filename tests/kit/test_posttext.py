"""kit/posttext: a post's text cut once into text, links, topics, mentions and the `//@handle:`
of repost chains; the HTML the Mastodon door shows is made from the same parts."""

from __future__ import annotations

import pytest

from quanzi.kit.posttext import Part, links, mentions, parts, to_html, topics


def cut(text: str, limit: int | None = None) -> list[tuple[str, str]]:
    """The parts that are not text, as (kind, text)."""
    return [(p.kind, p.text) for p in parts(text, limit) if p.kind != "text"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "只有文字，没有别的。",
        "看 https://x.cn/a#b 和 #话题# @bob, mail a@bob.cn //@carol: hi",
        "c3 //@stranger: c3 //@follower: c2 //@alice: 原文 #话题#",
        "<b>&amp;</b> #<i>#\n\n第二段\n第三行",
    ],
)
def test_nothing_is_lost(text: str) -> None:
    assert "".join(p.text for p in parts(text)) == text


def test_chinese_and_english_text_with_topics_mentions_and_links() -> None:
    text = "今天#天气真好#，和@alice_1去了 https://example.com/trip?day=1. #travel #Python#!"
    assert cut(text) == [
        ("topic", "#天气真好#"),
        ("mention", "@alice_1"),
        ("link", "https://example.com/trip?day=1"),  # the full stop ends the sentence
        ("topic", "#travel"),
        ("topic", "#Python#"),
    ]
    assert [p.value for p in parts(text) if p.kind == "topic"] == ["天气真好", "travel", "Python"]
    assert [p.value for p in parts(text) if p.kind == "mention"] == ["alice_1"]


def test_full_width_punctuation_ends_links_topics_and_mentions() -> None:
    text = "链接：https://x.cn/a，话题：#话题#。提到@bob：好！（https://y.cn/b）"
    assert cut(text) == [
        ("link", "https://x.cn/a"),
        ("topic", "#话题#"),
        ("mention", "@bob"),
        ("link", "https://y.cn/b"),
    ]


def test_a_link_ends_where_chinese_characters_begin() -> None:
    text = "看https://x.cn/a好的，还有http://y.cn/路径 和 https://z.cn/%E4%B8%AD"
    assert [p.text for p in parts(text) if p.kind == "link"] == [
        "https://x.cn/a",
        "http://y.cn/",
        "https://z.cn/%E4%B8%AD",  # an encoded path stays whole
    ]
    assert links(text) == ["https://x.cn/a", "http://y.cn/", "https://z.cn/%E4%B8%AD"]
    assert cut("见https://x.cn/#话题#") == [("link", "https://x.cn/#")]  # a # in a link
    assert cut("HTTPS://X.CN/A") == [("link", "HTTPS://X.CN/A")]


def test_what_is_not_a_topic_or_a_mention() -> None:
    assert cut("a#b# &#39; mail a@bob.cn x/@bob .@bob @bo") == []
    assert cut("# 空格 # ##") == []


def test_repost_chains_nested() -> None:
    text = "转发 //@carol: 同意 //@bob_2: 说得好 //@alice: 原文"
    assert cut(text) == [("chain", "@carol"), ("chain", "@bob_2"), ("chain", "@alice")]
    assert [p.value for p in parts(text) if p.kind == "chain"] == ["carol", "bob_2", "alice"]
    assert [p.text for p in parts(text)][:3] == ["转发 //", "@carol", ": 同意 //"]
    # a chain's handles are not mentions (their owners are not notified again)
    assert mentions(text) == []
    # not a chain: no colon, or a link right after the handle
    assert cut("//@carol 你好 //@bobhttp://x.cn/") == [("link", "http://x.cn/")]


def test_an_excerpt_cuts_parts_short_as_text() -> None:
    assert cut("好" * 10 + " #长话题#", limit=12) == []
    assert "".join(p.text for p in parts("好" * 10 + " #长话题#", 12)) == "好" * 10 + " #"
    assert cut("#话题# https://x.cn/abc", limit=9) == [("topic", "#话题#")]


def test_topics_and_mentions_fold_as_the_parts_name_them() -> None:
    text = "#Python# #python @Bob @bob"
    assert topics(text) == ["Python"]
    assert mentions(text) == ["bob"]


def _href(part: Part) -> str | None:
    if part.kind == "topic":
        return f"/topics/{part.value}"
    return f"/@{part.value}" if part.value.lower() in ("bob", "carol") else None


def test_html_links_known_people_topics_and_links_and_keeps_paragraphs() -> None:
    html = to_html("你好 @bob 和 @nobody #话题#\n看 https://x.cn/a。\n\n第二段", href=_href)
    assert html == (
        '<p>你好 <span class="h-card"><a href="/@bob" class="u-url mention">@<span>bob</span>'
        "</a></span> 和 @nobody "
        '<a href="/topics/话题" class="mention hashtag" rel="tag">#话题#</a><br />'
        '看 <a href="https://x.cn/a" rel="nofollow noopener" target="_blank">https://x.cn/a</a>'
        "。</p><p>第二段</p>"
    )


def test_html_links_the_people_of_a_repost_chain() -> None:
    html = to_html("同意 //@carol: 说得好 //@nobody: 原文", href=_href)
    assert html == (
        '<p>同意 //<span class="h-card"><a href="/@carol" class="u-url mention">'
        "@<span>carol</span></a></span>: 说得好 //@nobody: 原文</p>"
    )


def test_html_escapes_everything_written() -> None:
    evil = (
        '<script>alert(1)</script> #<img src=x onerror=alert(1)># #"onmouseover=x# '
        "@bob\"><b> //@carol: <i>'</i> https://x.cn/?a=<b>&c='d' &amp;"
    )
    html = to_html(evil, href=lambda p: f'/t/{p.value}"><script>' if p.kind == "topic" else None)
    for raw in ("<script", "<img", "<b>", "<i>", 'onmouseover=x"', "'d'"):
        assert raw not in html, raw
    assert "&lt;script&gt;" in html and "&amp;amp;" in html
    assert 'href="/t/&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;script&gt;"' in html
    assert 'href="https://x.cn/?a="' in html  # a link ends at <, and its href is escaped


def test_links_only_for_text_without_topics() -> None:
    text = "#看 http://a.cn/x. 了# @bob"
    assert [(p.kind, p.text) for p in parts(text, links_only=True)] == [
        ("text", "#看 "),
        ("link", "http://a.cn/x"),
        ("text", ". 了# @bob"),
    ]


def test_topics_are_what_the_parts_show_as_topics() -> None:
    text = "#tag 和 #话题# 见 https://docs.python.org/3/#contents #Tag"
    assert topics(text) == ["tag", "话题"]  # in order; a link's #fragment names no topic
    assert topics("#看 https://a.cn 了#") == ["看 https://a.cn 了"]
