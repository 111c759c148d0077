"""The square in the web client: posting, timelines, reposts, comments, likes, topics, topic
groups, search, and who may see what, over HTTP through the real app."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI

from tests.helpers import Personas, User, encode, load_file, picture
from tests.web.conftest import NewBrowser
from tests.web_helpers import WebUser, media_images

POST_ID = re.compile(r'data-post-id="(\d+)"')


def post_ids(html: str) -> list[str]:
    """The posts on a page, in order (each card once)."""
    return list(dict.fromkeys(POST_ID.findall(html)))


class Person:
    """Someone with a browser (the web client) and an API token (to set up data)."""

    def __init__(self, web: WebUser, api: User, people: Personas) -> None:
        self.web = web
        self.api = api
        self.people = people

    @property
    def id(self) -> str:
        return self.api.id

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        r = await self.people.client.request(
            method, f"/api/quanzi/v1{path}", headers=self.api.auth, **kw
        )
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    async def post(self, text: str, **body: Any) -> str:
        """Posts through the web compose form; returns the new post's id."""
        before = set(post_ids(await self.web.page(f"/people/{self.id}/posts")))
        r = await self.web.post("/square/posts", {"text": text, **body})
        assert r.status_code == 303, r.text[:800]
        after = post_ids(await self.web.page(f"/people/{self.id}/posts"))
        new = [p for p in after if p not in before]
        assert len(new) == 1, new
        return new[0]

    async def follow(self, other: Person) -> None:
        await self.call("POST", f"/accounts/{other.id}/follow")


async def person(browser_for: NewBrowser, people: Personas, handle: str) -> Person:
    web = await browser_for(handle)
    return Person(web, await people.login(handle), people)


# Posting and how a post reads


async def test_post_with_topic_mention_and_link_renders_them_as_links_with_escaping_intact(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    post_id = await alice.post(
        "<b>hi</b> 周末去 #香山 爬山# 吧 @bob 看 https://example.com/map?a=1&b=2 #hiking"
    )
    html = await bob.web.page("/square?tab=public")
    assert post_ids(html) == [post_id]
    assert "&lt;b&gt;hi&lt;/b&gt;" in html and "<b>hi" not in html
    assert f'href="/topics/{quote("香山 爬山", safe="")}"' in html
    assert ">#香山 爬山#</a>" in html
    assert 'href="/topics/hiking">#hiking</a>' in html
    assert f'href="/people/{bob.id}">@bob</a>' in html
    assert 'href="https://example.com/map?a=1&amp;b=2"' in html
    assert f'href="/people/{alice.id}"' in html  # the author
    topic = await bob.web.page(f"/topics/{quote('香山 爬山', safe='')}")
    assert post_id in post_ids(topic) and "#香山 爬山#" in topic


async def test_a_long_post_shows_its_excerpt_with_more_and_the_post_page_shows_it_all(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    text = "开头" + "好" * 200 + "结尾"
    post_id = await alice.post(text)
    feed = await alice.web.page("/square")
    assert "结尾" not in feed and f'class="sq-more" href="/posts/{post_id}"' in feed
    assert "结尾" in await alice.web.page(f"/posts/{post_id}")


async def test_photos_are_uploaded_with_the_post_and_shown_in_a_grid(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    png = encode(picture(), "PNG")
    r = await alice.web.post(
        "/square/posts",
        {"text": "两张照片", "visibility": "public"},
        files=[("photos", (f"p{i}.png", png, "image/png")) for i in range(2)],  # type: ignore[arg-type]
    )
    assert r.status_code == 303, r.text[:500]
    html = await alice.web.page("/square")
    assert 'class="pg pg-cols-2"' in html
    photos = [src for src in media_images(html) if src.endswith("/thumb")]
    assert len(photos) == 2
    for src in photos:  # as a browser loads them: no header beyond its own
        assert (await load_file(alice.web.c, src)).status_code == 200
    too_many = await alice.web.post(
        "/square/posts",
        {"text": "十张"},
        files=[("photos", (f"p{i}.png", png, "image/png")) for i in range(10)],  # type: ignore[arg-type]
    )
    assert too_many.status_code == 422 and "at most 9 photos" in too_many.text


async def test_alt_text_of_a_photo_is_what_screen_readers_are_given(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    r = await people.client.post(
        "/api/quanzi/v1/media",
        files={"file": ("cat.png", encode(picture(), "PNG"), "image/png")},
        data={"description": "一只橘猫在窗台上 an orange cat"},
        headers=alice.api.auth,
    )
    assert r.status_code == 201, r.text
    media = r.json()
    assert media["description"] == "一只橘猫在窗台上 an orange cat"
    post = await alice.call("POST", "/posts", json={"text": "猫", "media_ids": [media["id"]]})
    assert post["media"][0]["description"] == "一只橘猫在窗台上 an orange cat"
    html = await bob.web.page(f"/posts/{post['id']}")
    assert 'alt="一只橘猫在窗台上 an orange cat"' in html

    changed = await alice.call(
        "PATCH", f"/media/{media['id']}", json={"description": "<b>猫</b> & 狗"}
    )
    assert changed["description"] == "<b>猫</b> & 狗"
    html = await bob.web.page(f"/posts/{post['id']}")
    assert 'alt="&lt;b&gt;猫&lt;/b&gt; &amp; 狗"' in html  # escaped, as all text
    theirs = await people.client.patch(
        f"/api/quanzi/v1/media/{media['id']}", json={"description": "x"}, headers=bob.api.auth
    )
    assert theirs.status_code == 403 and theirs.json()["error"]["code"] == "not_yours"
    too_long = await people.client.patch(
        f"/api/quanzi/v1/media/{media['id']}",
        json={"description": "长" * 1501},
        headers=alice.api.auth,
    )
    assert too_long.status_code == 422
    removed = await alice.call("PATCH", f"/media/{media['id']}", json={"description": None})
    assert removed["description"] is None
    assert 'alt="Photo"' in await bob.web.page(f"/posts/{post['id']}")


async def test_an_empty_post_is_refused_with_a_message(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    r = await alice.web.post("/square/posts", {"text": "   "}, htmx=True)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#toast"
    assert "needs some text or an image" in r.text


async def test_compose_page_has_counter_photos_and_visibility(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    html = await alice.page("/square/new")
    assert 'data-limit="2000"' in html and "0/2000" in html
    assert 'name="photos" multiple' in html
    for value in ("public", "followers", "mentioned"):
        assert f'<option value="{value}">' in html


async def test_editing_a_post_marks_it_edited_and_keeps_the_history(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    post_id = await alice.post("first words")
    assert "/edit" in await alice.web.page(f"/posts/{post_id}")
    assert f"/posts/{post_id}/edit" not in await bob.web.page(f"/posts/{post_id}")
    r = await alice.web.post(f"/posts/{post_id}/edit", {"text": "second <words>"})
    assert r.status_code == 303
    html = await bob.web.page("/square?tab=public")
    assert f'href="/posts/{post_id}/history"' in html and "second &lt;words&gt;" in html
    history = await bob.web.page(f"/posts/{post_id}/history")
    assert "first words" in history and "second &lt;words&gt;" in history
    refused = await bob.web.post(f"/posts/{post_id}/edit", {"text": "mine now"})
    assert refused.status_code == 403
    gone = await alice.web.post(f"/posts/{post_id}/delete")
    assert gone.status_code == 303
    assert (await bob.web.get(f"/posts/{post_id}")).status_code == 404


def test_post_text_parts_link_to_pages_people_and_topics() -> None:
    from quanzi.kit.posttext import parts
    from quanzi.web.square.render import part_href

    text = "看 https://x.cn/a#b 和 #话题# @bob, mail a@bob.cn //@carol: hi"
    links = [(p.kind, p.text, part_href(p, {"bob": 7})) for p in parts(text) if p.kind != "text"]
    assert links == [
        ("link", "https://x.cn/a#b", "https://x.cn/a#b"),  # a # inside a link is not a topic
        ("topic", "#话题#", "/topics/%E8%AF%9D%E9%A2%98"),
        ("mention", "@bob", "/people/7"),
        ("chain", "@carol", "/square/at/carol"),  # the repost chain, by handle
    ]


# Reposts


async def test_repost_with_comment_shows_the_chain_and_the_original(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    carol = await person(browser_for, people, "carol")
    original = await alice.post("原文 #新闻#")
    form = await bob.web.page(f"/posts/{original}/repost")
    assert 'name="comment"' in form and "原文" in form
    r = await bob.web.post(f"/posts/{original}/reposts", {"comment": "说得好"})
    assert r.status_code == 303
    first = r.headers["location"].rsplit("/", 1)[1]
    r = await carol.web.post(f"/posts/{first}/reposts", {"comment": "同意 <i>"})
    second = r.headers["location"].rsplit("/", 1)[1]
    html = await carol.web.page(f"/posts/{second}")
    assert "同意 &lt;i&gt; //" in html and ">@bob</a>: 说得好" in html  # the //@ chain
    assert 'class="sq-original"' in html and "原文" in html  # the original, boxed
    at_bob = await carol.web.get("/square/at/bob")
    assert at_bob.status_code == 303 and at_bob.headers["location"] == f"/people/{bob.id}"
    assert f'href="/posts/{original}"' in html
    feed = await alice.web.page("/square?tab=public")
    assert re.search(rf'id="post-{original}-footer".*?data-count="reposts">2<', feed, re.S)
    await alice.web.post(f"/posts/{original}/delete")
    html = await carol.web.page(f"/posts/{second}")
    assert "This post was deleted." in html and "原文" not in html


# Comments


async def test_threaded_comments_replies_and_deleting(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    carol = await person(browser_for, people, "carol")
    post_id = await alice.post("讨论一下")
    r = await bob.web.post(f"/posts/{post_id}/comments", {"text": "我先说 <3"})
    assert r.status_code == 303
    page = await carol.web.page(f"/posts/{post_id}")
    top = re.search(r'<li class="sq-thread" id="c(\d+)"', page)
    assert top and "我先说 &lt;3" in page
    thread_id = top.group(1)
    reply_form = await carol.web.page(f"/posts/{post_id}?reply_to={thread_id}")
    assert f'name="reply_to_id" value="{thread_id}"' in reply_form and "Reply @Bob:" in reply_form
    await carol.web.post(f"/posts/{post_id}/comments", {"text": "回一句", "reply_to_id": thread_id})
    page = await alice.web.page(f"/posts/{post_id}")
    reply = re.search(r'<li id="c(\d+)"><div class="sq-comment"', page)
    assert reply
    await alice.web.post(
        f"/posts/{post_id}/comments", {"text": "再回", "reply_to_id": reply.group(1)}
    )
    for i in range(3):
        await bob.web.post(
            f"/posts/{post_id}/comments", {"text": f"第{i}条", "reply_to_id": thread_id}
        )
    page = await alice.web.page(f"/posts/{post_id}")
    assert "回一句" in page and "再回" in page
    assert re.search(r'Reply <a href="/people/\d+">@Carol</a>:</span> 再回', page)
    assert "View all 5 replies" in page and "第2条" not in page  # three shown of five
    more = re.search(r'hx-get="(/comments/\d+/replies\?min_id=\d+)"', page)
    assert more
    rest = await alice.web.get(more.group(1), headers={"HX-Request": "true"})
    assert "第1条" in rest.text and "第2条" in rest.text and "回一句" not in rest.text
    # Bob deletes his own comment; Alice deletes Carol's on her post; Carol cannot delete Bob's.
    bob_comment = re.search(
        r'id="c(\d+)"><div class="sq-comment" data-comment-id="\d+">\s*<a href="/people/' + bob.id,
        rest.text,
    )
    assert bob_comment
    refused = await carol.web.post(f"/posts/{post_id}/comments/{bob_comment.group(1)}/delete")
    assert refused.status_code == 403
    assert (
        await bob.web.post(f"/posts/{post_id}/comments/{bob_comment.group(1)}/delete")
    ).status_code == 303
    reply_id = reply.group(1)
    assert (await alice.web.post(f"/posts/{post_id}/comments/{reply_id}/delete")).status_code == 303
    page = await alice.web.page(f"/posts/{post_id}")
    assert "回一句" not in page


async def test_comment_with_also_repost_reposts_the_post(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    post_id = await alice.post("值得转发")
    await bob.web.post(f"/posts/{post_id}/comments", {"text": "转了", "also_repost": "true"})
    mine = await bob.web.page(f"/people/{bob.id}/posts")
    assert "转了" in mine and "值得转发" in mine


# Likes and counts


async def test_likes_and_counts_update_the_footer(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    post_id = await alice.post("点个赞吧")
    await bob.web.page("/square?tab=public")
    r = await bob.web.post(f"/posts/{post_id}/like", {"back": "/square"}, htmx=True)
    assert r.status_code == 200
    assert r.text.startswith(f'<footer class="sq-post-footer" id="post-{post_id}-footer">')
    assert 'aria-pressed="true"' in r.text and 'data-count="likes">1<' in r.text
    assert f'hx-post="/posts/{post_id}/unlike"' in r.text
    again = await bob.web.post(f"/posts/{post_id}/like", {"back": "/square"}, htmx=True)
    assert 'data-count="likes">1<' in again.text  # twice changes nothing
    plain = await bob.web.post(f"/posts/{post_id}/unlike", {"back": "/square?tab=public"})
    assert plain.status_code == 303 and plain.headers["location"] == "/square?tab=public"
    html = await alice.web.page(f"/posts/{post_id}")
    assert 'data-count="likes">0<' in html
    await bob.web.post(f"/posts/{post_id}/comments", {"text": "好"})
    html = await alice.web.page(f"/posts/{post_id}")
    assert 'data-count="comments">1<' in html and 'data-count="views">' in html
    comment_id = re.search(r'data-comment-id="(\d+)"', html)
    assert comment_id
    liked = await alice.web.post(
        f"/comments/{comment_id.group(1)}/like", {"like": "true"}, htmx=True
    )
    assert 'aria-pressed="true"' in liked.text and 'data-count="likes">1<' in liked.text
    unliked = await alice.web.post(
        f"/comments/{comment_id.group(1)}/like", {"like": "false"}, htmx=True
    )
    assert 'data-count="likes">0<' in unliked.text


async def test_a_redirect_back_never_leaves_the_site(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    post_id = await alice.post("hello")
    r = await alice.web.post(f"/posts/{post_id}/like", {"back": "//evil.example/"})
    assert r.headers["location"] == "/square"


# Timelines


async def test_following_shows_people_i_follow_and_public_shows_everyone(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    carol = await person(browser_for, people, "carol")
    await bob.follow(alice)
    a = await alice.post("from alice")
    c = await carol.post("from carol")
    b = await bob.post("from bob")
    assert post_ids(await bob.web.page("/square")) == [b, a]  # following is the default
    assert post_ids(await bob.web.page("/square?tab=public")) == [b, c, a]
    empty = await carol.web.page("/square?tab=following")
    assert post_ids(empty) == [c]


async def test_load_more_and_new_posts_page_by_id(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    made = [await alice.call("POST", "/posts", json={"text": f"post {i}"}) for i in range(23)]
    ids = [p["id"] for p in reversed(made)]
    html = await alice.web.page("/square?tab=public")
    assert post_ids(html) == ids[:20]
    more = re.search(r'hx-get="(/square\?tab=public&amp;max_id=\d+)"', html)
    assert more
    rest = await alice.web.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert post_ids(rest.text) == ids[20:] and "<html" not in rest.text
    assert 'hx-get="/square/latest?tab=public"' in html and 'id="new-posts"' in html
    newer = await alice.web.get(
        "/square/latest",
        params={"tab": "public", "since_id": ids[1]},
        headers={"HX-Request": "true"},
    )
    assert post_ids(newer.text) == ids[:1]


async def test_someones_posts_page_lists_their_posts(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    a = await alice.post("alice here")
    await bob.post("bob here")
    html = await bob.web.page(f"/people/{alice.id}/posts")
    assert post_ids(html) == [a] and f'href="/people/{alice.id}"' in html


# Topics


async def test_trending_list_and_topic_page(
    app: FastAPI, browser_for: NewBrowser, people: Personas
) -> None:
    from quanzi.domain.square.topics import refresh_trending

    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    await alice.post("#热点# 一")
    await bob.post("#热点# 二")
    lone = await bob.post("#小众# 三")
    assert "Nothing is trending yet" in await alice.web.page("/topics")
    await refresh_trending(app.state.services.db)
    html = await alice.web.page("/topics")
    ranked = re.findall(
        r'<span class="sq-rank[^>]*>(\d+)</span>\s*'
        r'<span class="row-main"><span class="row-title">#(.+?)#',
        html,
    )
    assert ranked == [("1", "热点"), ("2", "小众")]
    assert f'href="/topics/{quote("热点")}"' in html and "2 posts" in html
    topic = await alice.web.page(f"/topics/{quote('小众')}")
    assert post_ids(topic) == [lone] and 'value="#小众# "' not in topic
    assert "#小众# </textarea>" in topic  # the compose box starts with the topic
    missing = await alice.web.get("/topics/nothing-here")
    assert missing.status_code == 404 and "No such topic" in missing.text


# Topic groups


async def test_topic_group_create_join_post_and_remove(
    browser_for: NewBrowser, people: Personas
) -> None:
    owner = await person(browser_for, people, "owner")
    member = await person(browser_for, people, "member")
    outsider = await person(browser_for, people, "outsider")
    r = await owner.web.post("/communities", {"name": "摄影 <club>", "description": "拍照"})
    assert r.status_code == 303
    url = r.headers["location"]
    group_id = url.rsplit("/", 1)[1]
    assert "摄影 &lt;club&gt;" in await owner.web.page("/communities?tab=mine")
    assert "摄影" not in await member.web.page("/communities?tab=mine")
    assert f'href="{url}"' in await member.web.page("/communities?tab=all")
    page = await member.web.page(url)
    assert f'action="{url}/join"' in page and 'name="community_id"' not in page
    assert (await member.web.post(f"{url}/join")).status_code == 303
    page = await member.web.page(url)
    assert f'action="{url}/leave"' in page and 'name="community_id"' in page
    post_id = await member.post("群里的第一张照片", community_id=group_id, back=url)
    page = await outsider.web.page(url)
    assert post_ids(page) == [post_id] and "/remove" not in page
    refused = await outsider.web.post("/square/posts", {"text": "x", "community_id": group_id})
    assert refused.status_code == 403 and "Join the community" in refused.text
    members = await outsider.web.page(f"{url}/members")
    assert "Owner" in members and "Member" in members and "Make moderator" not in members
    assert "Make moderator" in await owner.web.page(f"{url}/members")
    denied = await member.web.post(f"{url}/posts/{post_id}/remove")
    assert denied.status_code == 403
    page = await owner.web.page(url)
    assert f'action="{url}/posts/{post_id}/remove"' in page
    assert (await owner.web.post(f"{url}/posts/{post_id}/remove")).status_code == 303
    assert post_ids(await owner.web.page(url)) == []
    assert post_id in post_ids(await owner.web.page(f"/people/{member.id}/posts"))
    assert (await member.web.post(f"{url}/leave")).status_code == 303
    assert "摄影" not in await member.web.page("/communities?tab=mine")


# Search


async def test_search_finds_posts_people_and_topics_in_chinese_and_english(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "pythonista")
    chinese = await alice.post("我们用微信聊天吧 #微信#")
    english = await bob.post("Learning #Python today")
    html = await alice.web.page(f"/search?q={quote('微信')}")
    assert post_ids(html) == [chinese]
    assert f'href="/topics/{quote("微信")}"' in html
    html = await alice.web.page("/search?q=python")
    assert post_ids(html) == [english]
    assert f'href="/people/{bob.id}"' in html and 'href="/topics/Python"' in html
    assert "Nothing found for “nothingatall”" in await alice.web.page("/search?q=nothingatall")
    assert 'id="search-q"' in await alice.web.page("/search")


async def test_search_finds_comments_by_english_stems_and_links_to_their_post(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    post_id = await alice.post("今天去公园")
    r = await bob.web.post(f"/posts/{post_id}/comments", {"text": "Lovely foxes jumping"})
    assert r.status_code == 303
    for q in ("fox", "jump", "lov"):
        html = await alice.web.page(f"/search?q={q}")
        found = re.search(r'id="search-comments">.*?</ol>', html, re.S)
        assert found and "Lovely foxes jumping" in found.group(0), q
        assert f'href="/posts/{post_id}#c' in found.group(0)
        assert post_ids(html) == []  # the post itself holds none of the words


# Who sees what


async def test_followers_only_post_is_not_shown_to_a_non_follower_anywhere(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    fan = await person(browser_for, people, "fan")
    stranger = await person(browser_for, people, "stranger")
    await fan.follow(alice)
    await alice.post("公开的 #秘密花园#")
    secret = await alice.post("只给粉丝 zebrafish #秘密花园#", visibility="followers")
    # The follower sees it everywhere.
    assert secret in post_ids(await fan.web.page("/square"))
    assert "Followers only" in await fan.web.page(f"/posts/{secret}")
    assert secret in post_ids(await fan.web.page(f"/topics/{quote('秘密花园')}"))
    assert secret in post_ids(await fan.web.page("/search?q=zebrafish"))
    # The stranger nowhere, and its page is the same 404 as a missing post.
    for url in (
        "/square",
        "/square?tab=public",
        f"/topics/{quote('秘密花园')}",
        "/search?q=zebrafish",
        f"/people/{alice.id}/posts",
        "/square/latest?tab=public",
    ):
        html = (await stranger.web.get(url)).text
        assert secret not in post_ids(html) and "只给粉丝" not in html, url
    hidden = await stranger.web.get(f"/posts/{secret}")
    missing = await stranger.web.get("/posts/1234567890")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(secret, "") == missing.text.replace("1234567890", "")
    assert (await stranger.web.get(f"/posts/{secret}/repost")).status_code == 404
    assert (await stranger.web.get(f"/posts/{secret}/history")).status_code == 404


async def test_reposting_a_followers_only_post_is_refused_with_a_clear_message(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    fan = await person(browser_for, people, "fan")
    stranger = await person(browser_for, people, "stranger")
    await fan.follow(alice)
    secret = await alice.post("只给粉丝", visibility="followers")
    card = await fan.web.page(f"/posts/{secret}")
    assert f'href="/posts/{secret}/repost"' not in card and 'name="also_repost"' not in card
    r = await fan.web.post(f"/posts/{secret}/reposts", {"comment": "转"})
    assert r.status_code == 409 and "Only public posts can be reposted." in r.text
    toast = await fan.web.post(f"/posts/{secret}/reposts", {"comment": "转"}, htmx=True)
    assert toast.status_code == 409 and toast.headers["HX-Retarget"] == "#toast"
    r = await stranger.web.post(f"/posts/{secret}/reposts", {"comment": "转"})
    assert r.status_code == 404 and "No such post." in r.text
    assert "只给粉丝" not in await fan.web.page(f"/people/{fan.id}/posts")


async def test_mentioned_only_post_is_seen_by_the_mentioned_alone(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    carol = await person(browser_for, people, "carol")
    await carol.follow(alice)
    note = await alice.post("悄悄话 @bob", visibility="mentioned")
    assert "Mentioned only" in await bob.web.page(f"/posts/{note}")
    assert (await carol.web.get(f"/posts/{note}")).status_code == 404
    assert note not in post_ids(await carol.web.page("/square"))


async def test_forms_without_the_csrf_token_are_refused(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await person(browser_for, people, "alice")
    post_id = await alice.post("hello")
    for path, data in (
        ("/square/posts", {"text": "forged"}),
        (f"/posts/{post_id}/like", {}),
        (f"/posts/{post_id}/comments", {"text": "forged"}),
        (f"/posts/{post_id}/reposts", {"comment": "forged"}),
        (f"/posts/{post_id}/delete", {}),
        ("/communities", {"name": "forged"}),
    ):
        r = await alice.web.c.post(path, data=data)
        assert r.status_code == 403, path
        assert "This form has expired" in r.text
    html = await alice.web.page(f"/posts/{post_id}")
    assert "forged" not in html and 'data-count="likes">0<' in html
    assert "forged" not in await alice.web.page("/communities?tab=all")


async def test_pages_need_a_login(client: Any) -> None:
    r = await client.get("/square")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/square"


async def test_posts_and_comments_name_people_by_my_remarks(
    browser_for: NewBrowser, people: Personas
) -> None:
    """As Weibo and WeChat do, the names I gave my contacts replace the ones they chose, on
    my screen only."""
    alice = await person(browser_for, people, "alice")
    bob = await person(browser_for, people, "bob")
    carol = await person(browser_for, people, "carol")
    for follower in (bob, carol):
        await follower.follow(alice)
    asked = await alice.call("POST", "/friend-requests", json={"account_id": bob.id})
    if not asked["friends"]:
        await bob.call("POST", f"/friend-requests/{asked['request']['id']}/accept", json={})
    await bob.call("PATCH", f"/friends/{alice.id}", json={"remark": "老同学 <A>"})
    post_id = await alice.post("周末爬山")
    await alice.web.post(f"/posts/{post_id}/comments", {"text": "有人一起吗"})

    for url in ("/square", f"/posts/{post_id}"):
        seen_by_bob = await bob.web.page(url)
        assert seen_by_bob.count("老同学 &lt;A&gt;") >= (2 if "posts" in url else 1), url
        assert "老同学" not in await carol.web.page(url), url
    more = await bob.web.get(f"/posts/{post_id}/comments", headers={"HX-Request": "true"})
    assert "老同学 &lt;A&gt;" in more.text  # the fragments too
