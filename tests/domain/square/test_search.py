"""Search: English by stems and by the prefix of the word being typed, Chinese by words,
people by any part of a name, comments by their words, and never anything hidden."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.square.test_square import Square, texts
from tests.helpers import Personas


@pytest.fixture
async def crowd(people: Personas) -> dict[str, Square]:
    names = ["author", "follower", "stranger", "other"]
    return {n: Square(people.client, await people.register(n)) for n in names}


async def found(who: Square, q: str, kind: str = "posts") -> list[str]:
    r = await who.call("GET", "/search", params={"q": q, "type": kind})
    assert r.status_code == 200, r.text
    return sorted(texts(r.json()[kind]))


async def comment(who: Square, post_id: str, text: str, **body: Any) -> dict[str, Any]:
    r = await who.call("POST", f"/posts/{post_id}/comments", json={"text": text, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_search_finds_foxes_for_fox(crowd: dict[str, Square]) -> None:
    author, stranger = crowd["author"], crowd["stranger"]
    await author.post("The quick brown foxes")
    await author.post("A fox in the garden")
    both = ["A fox in the garden", "The quick brown foxes"]
    assert await found(stranger, "fox") == both
    assert await found(stranger, "FOXES") == both  # a query's words by their stems too


async def test_search_finds_jumping_for_jump_and_jumped_for_jumping(
    crowd: dict[str, Square],
) -> None:
    author, stranger = crowd["author"], crowd["stranger"]
    await author.post("the cat was jumping all day")
    await author.post("the dog jumped once")
    await author.post("a cat sat")
    jumps = ["the cat was jumping all day", "the dog jumped once"]
    assert await found(stranger, "jump") == jumps
    assert await found(stranger, "jumping") == jumps
    assert await found(stranger, "jumps cat") == ["the cat was jumping all day"]


async def test_the_word_being_typed_matches_as_a_prefix(crowd: dict[str, Square]) -> None:
    author, stranger = crowd["author"], crowd["stranger"]
    await author.post("the cat was jumping all day")
    await author.post("Jumbo jets")
    assert await found(stranger, "jum") == ["Jumbo jets", "the cat was jumping all day"]
    assert await found(stranger, "cat jum") == ["the cat was jumping all day"]
    assert await found(stranger, "jumpi") == ["the cat was jumping all day"]
    assert await found(stranger, "jum cat") == []  # only the last word is being typed
    assert await found(stranger, "ju") == []  # two letters are not yet a prefix
    # the best match first: the word itself before a longer word that begins with it
    await author.post("category theory")
    await author.post("my cat")
    r = await stranger.call("GET", "/search", params={"q": "cat", "type": "posts"})
    ranked = texts(r.json()["posts"])
    assert sorted(ranked[:2]) == ["my cat", "the cat was jumping all day"]
    assert ranked[2:] == ["category theory"]


async def test_mixed_chinese_and_english_queries(crowd: dict[str, Square]) -> None:
    author, stranger = crowd["author"], crowd["stranger"]
    await author.post("周末和 friends 去爬山")
    await author.post("周末在家")
    assert await found(stranger, "爬山 friend") == ["周末和 friends 去爬山"]
    assert await found(stranger, "周末 fri") == ["周末和 friends 去爬山"]
    assert await found(stranger, "friends 周末") == ["周末和 friends 去爬山"]
    assert await found(stranger, "周末") == ["周末和 friends 去爬山", "周末在家"]
    assert await found(stranger, "爬山 family") == []
    assert await found(stranger, "友圈") == []  # Chinese still by whole words, as before


async def test_comments_are_found_by_their_words(crowd: dict[str, Square]) -> None:
    author, other, stranger = crowd["author"], crowd["other"], crowd["stranger"]
    post = await author.post("今天去公园")
    await comment(other, post["id"], "Lovely foxes in the park")
    await comment(other, post["id"], "天气真好")
    assert await found(stranger, "fox", "comments") == ["Lovely foxes in the park"]
    assert await found(stranger, "lov", "comments") == ["Lovely foxes in the park"]
    assert await found(stranger, "天气", "comments") == ["天气真好"]
    everything = (await stranger.call("GET", "/search", params={"q": "park"})).json()
    assert [c["post_id"] for c in everything["comments"]] == [post["id"]]
    assert everything["posts"] == []  # the post does not hold the comment's words


async def test_search_shows_no_hidden_post_or_comment(crowd: dict[str, Square]) -> None:
    author, follower, stranger, other = (
        crowd["author"],
        crowd["follower"],
        crowd["stranger"],
        crowd["other"],
    )
    await follower.follow(author)
    private = await author.post("secret foxes", visibility="followers")
    await comment(follower, private["id"], "secret jumping")
    public = await author.post("open post")
    gone = await comment(other, public["id"], "deleted jumping")
    assert (await other.call("DELETE", f"/comments/{gone['id']}")).status_code == 204
    await comment(other, public["id"], "blocked jumping")
    await stranger.call("PUT", f"/blocks/{other.id}")
    for q in ("fox", "fo", "secret", "jump", "jum"):
        assert await found(stranger, q) == [], q
        assert await found(stranger, q, "comments") == [], q
    assert await found(follower, "fox") == ["secret foxes"]
    assert await found(follower, "jum", "comments") == ["blocked jumping", "secret jumping"]
    assert await found(other, "jum", "comments") == ["blocked jumping"]  # not the private one
    deleted = await author.post("soon deleted, with foxes")
    await comment(follower, deleted["id"], "a comment on foxes")
    assert (await author.call("DELETE", f"/posts/{deleted['id']}")).status_code == 204
    assert await found(follower, "fox") == ["secret foxes"]
    assert await found(follower, "fox", "comments") == []


async def test_chinese_names_are_found_by_any_part(people: Personas) -> None:
    viewer = await people.register("finder")
    await people.register("hanmeimei", display_name="韩梅梅")
    await people.register("lilei", display_name="李雷")
    await people.register("meili", display_name="梅丽")

    async def search(q: str) -> list[str]:
        r = await people.client.get(
            "/api/quanzi/v1/accounts/search", params={"q": q}, headers=viewer.auth
        )
        return sorted(a["handle"] for a in r.json()["items"])

    assert await search("韩梅") == ["hanmeimei"]
    assert await search("梅梅") == ["hanmeimei"]
    assert await search("韩梅梅") == ["hanmeimei"]
    assert await search("梅") == ["hanmeimei", "meili"]
    assert await search("梅李") == []
    assert await search("韩梅梅 han") == ["hanmeimei"]  # Chinese and a handle being typed
