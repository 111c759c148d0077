"""Moments (朋友圈) in the web client, over HTTP: the feed, posting with photos, location and an
audience, likes, comments and replies, deleting, one Moment's page, someone's Moments, and
above all that a page never shows what the domain hides from this viewer.

The privacy cast: alice posts; bob and carol are her friends but not each other's; dave is
nobody's friend.
"""

from __future__ import annotations

import re

from tests.helpers import Personas, assert_missing_file, encode, load_file, picture
from tests.web.conftest import NewBrowser
from tests.web_helpers import MEDIA_PATH, WebUser


def shown(html: str) -> list[str]:
    """The ids of the Moments on a page or in a fragment, in order."""
    return re.findall(r'<article class="moment" id="moment-(\d+)"', html)


def counts(html: str, moment_id: str) -> tuple[int, int]:
    found = re.search(
        rf'id="moment-{moment_id}"[^>]*data-likes-count="(\d+)" data-comments-count="(\d+)"',
        html,
    )
    assert found, html[:2000]
    return int(found.group(1)), int(found.group(2))


def comment_ids(html: str) -> list[str]:
    return re.findall(r'<li class="comment" id="comment-(\d+)"', html)


async def befriend(people: Personas, a: str, b: str) -> tuple[str, str]:
    one, two = await people.login(a), await people.login(b)
    r = await people.client.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": two.id, "greeting": "hi"},
        headers=one.auth,
    )
    if not r.json()["friends"]:
        await people.client.post(
            f"/api/quanzi/v1/friend-requests/{r.json()['request']['id']}/accept",
            json={},
            headers=two.auth,
        )
    return one.id, two.id


async def label(people: Personas, owner: str, name: str, *member_ids: str) -> str:
    user = await people.login(owner)
    r = await people.client.post(
        "/api/quanzi/v1/labels",
        json={"name": name, "member_ids": list(member_ids)},
        headers=user.auth,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def post(user: WebUser, text: str, *, photos: int = 0, **fields: object) -> tuple[str, str]:
    """Post through the form; returns the new Moment's id and the feed that shows it."""
    files = [
        ("photos", (f"p{i}.png", encode(picture(), "PNG"), "image/png")) for i in range(photos)
    ]
    await user.get("/moments/new")
    r = await user.c.post(
        "/moments/new",
        data={"text": text, "csrf_token": user.csrf, **fields},
        files=files or None,
    )
    assert r.status_code == 303, r.text[:1000]
    assert r.headers["location"] == "/moments"
    feed = await user.page("/moments")
    return shown(feed)[0], feed


async def cast(browser_for: NewBrowser, people: Personas) -> dict[str, WebUser]:
    users = {name: await browser_for(name) for name in ("alice", "bob", "carol", "dave")}
    await befriend(people, "alice", "bob")
    await befriend(people, "alice", "carol")
    return users


async def account_id(people: Personas, handle: str) -> str:
    return (await people.login(handle)).id


async def test_posting_with_photos_and_location_shows_them(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    form = await users["alice"].page("/moments/new")
    assert 'type="file" name="photos" multiple' in form and 'name="location"' in form
    moment_id, feed = await post(users["alice"], "周末去爬山", photos=3, location="香山公园")
    assert "周末去爬山" in feed and "香山公园" in feed
    assert 'class="pg pg-cols-2"' in feed  # 2 to 4 photos: two columns
    thumbs = re.findall(rf'href="({MEDIA_PATH})"[^>]*><img src="({MEDIA_PATH}/thumb)"', feed)
    assert len(thumbs) == 3 and all(thumb == f"{full}/thumb" for full, thumb in thumbs)
    seen = await users["bob"].page("/moments")
    assert shown(seen) == [moment_id] and "香山公园" in seen
    assert thumbs[0][1] in seen  # the same URLs for whoever is shown the Moment
    assert (await load_file(users["bob"].c, thumbs[0][1])).status_code == 200
    assert thumbs[0][1] not in await users["dave"].page("/moments")  # never given it
    _, feed = await post(users["alice"], "", photos=5)
    assert 'class="pg pg-cols-3"' in feed  # 5 to 9: three


async def test_a_photos_alt_text_is_given_to_screen_readers(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    alice = await people.login("alice")
    r = await people.client.post(
        "/api/quanzi/v1/media",
        files={"file": ("hill.png", encode(picture(), "PNG"), "image/png")},
        data={"description": "山顶的日出 sunrise on the hill"},
        headers=alice.auth,
    )
    assert r.status_code == 201, r.text
    r = await people.client.post(
        "/api/quanzi/v1/moments",
        json={"text": "日出", "media_ids": [r.json()["id"]]},
        headers=alice.auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["media"][0]["description"] == "山顶的日出 sunrise on the hill"
    feed = await users["bob"].page("/moments")
    assert 'alt="山顶的日出 sunrise on the hill"' in feed


async def test_a_moment_needs_text_or_photos_and_at_most_nine(
    browser_for: NewBrowser,
) -> None:
    alice = await browser_for("alice")
    await alice.get("/moments/new")
    r = await alice.post("/moments/new", {"text": "  "}, htmx=True)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#toast"
    files = [("photos", (f"p{i}.png", encode(picture(), "PNG"), "image/png")) for i in range(10)]
    r = await alice.c.post(
        "/moments/new", data={"text": "x", "csrf_token": alice.csrf}, files=files
    )
    assert r.status_code == 422 and "at most 9 photos" in r.text
    assert shown(await alice.page("/moments")) == []


async def test_feed_is_newest_first_and_loads_more_by_max_id(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    posted = [(await post(users["alice"], f"第{i}条"))[0] for i in range(12)]
    feed = await users["bob"].page("/moments")
    assert shown(feed) == posted[::-1][:10]
    more = re.search(r'hx-get="(/moments/page\?max_id=\d+)"', feed)
    assert more
    rest = await users["bob"].get(more.group(1), headers={"HX-Request": "true"})
    assert shown(rest.text) == posted[::-1][10:]
    assert "hx-get" not in rest.text  # the end
    assert "<html" not in rest.text  # a fragment


async def test_audiences_private_include_label_and_exclude(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    erin = await browser_for("erin")
    await befriend(people, "alice", "erin")
    bob_id, carol_id, erin_id = [await account_id(people, h) for h in ("bob", "carol", "erin")]
    close = await label(people, "alice", "同学", bob_id, erin_id)
    form = await users["alice"].page("/moments/new")
    assert f'name="label_ids" value="{close}"' in form and "同学" in form
    assert form.count('name="account_ids"') == 3

    private, feed = await post(users["alice"], "只给自己", audience="private")
    assert "Private" in feed  # the author sees who it is for
    labelled, _ = await post(
        users["alice"], "只给同学", audience="include", label_ids=close, account_ids=carol_id
    )
    except_bob, _ = await post(users["alice"], "不给bob看", audience="exclude", account_ids=bob_id)
    # an audience listed under "all friends" lists no one
    everyone, _ = await post(users["alice"], "所有朋友", audience="friends", account_ids=bob_id)

    assert shown(await users["bob"].page("/moments")) == [everyone, labelled]
    assert shown(await erin.page("/moments")) == [everyone, except_bob, labelled]
    assert shown(await users["carol"].page("/moments")) == [everyone, except_bob, labelled]
    assert shown(await users["dave"].page("/moments")) == []
    bob_view = await users["bob"].page("/moments")
    assert "只给自己" not in bob_view and "不给bob看" not in bob_view
    assert "Shared with some" not in bob_view  # only the author is told the audience
    for hidden in (private, except_bob):
        assert (await users["bob"].get(f"/moments/{hidden}")).status_code == 404
    # label members are read when the Moment is viewed
    only_label, _ = await post(users["alice"], "标签可见", audience="include", label_ids=close)
    assert (await users["carol"].get(f"/moments/{only_label}")).status_code == 404
    assert (await erin.get(f"/moments/{only_label}")).status_code == 200


async def test_comment_from_non_mutual_friend_hidden_from_third_user(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    moment_id, _ = await post(users["alice"], "新家")
    r = await users["bob"].post(
        f"/moments/{moment_id}/comments", {"text": "bob 的悄悄话"}, htmx=True
    )
    assert r.status_code == 200 and "bob 的悄悄话" in r.text
    await users["bob"].post(f"/moments/{moment_id}/like", htmx=True)
    await users["carol"].post(f"/moments/{moment_id}/comments", {"text": "carol 来了"}, htmx=True)

    alice_view = await users["alice"].page(f"/moments/{moment_id}")
    assert "bob 的悄悄话" in alice_view and "carol 来了" in alice_view
    assert counts(alice_view, moment_id) == (1, 2)

    for path in ("/moments", f"/moments/{moment_id}", f"/moments/{moment_id}/fragment"):
        carol_view = await users["carol"].page(path)
        assert moment_id in shown(carol_view)
        assert "carol 来了" in carol_view
        assert "bob 的悄悄话" not in carol_view and "Bob" not in carol_view
        assert counts(carol_view, moment_id) == (0, 1)

    bob_view = await users["bob"].page(f"/moments/{moment_id}")
    assert "bob 的悄悄话" in bob_view and "carol 来了" not in bob_view
    assert counts(bob_view, moment_id) == (1, 1)

    # a reply by alice to bob names bob: carol may not see it either
    bob_comment = comment_ids(bob_view)[0]
    await users["alice"].post(
        f"/moments/{moment_id}/comments", {"text": "欢迎", "reply_to_id": bob_comment}, htmx=True
    )
    carol_view = await users["carol"].page(f"/moments/{moment_id}")
    assert "欢迎" not in carol_view and counts(carol_view, moment_id) == (0, 1)
    # and carol cannot reply to a comment she cannot see
    r = await users["carol"].post(
        f"/moments/{moment_id}/comments", {"text": "?", "reply_to_id": bob_comment}, htmx=True
    )
    assert r.status_code == 404


async def test_one_moment_page_is_404_for_outsiders_as_for_missing(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    moment_id, _ = await post(users["alice"], "只有朋友能看")
    dave = users["dave"]
    hidden = await dave.get(f"/moments/{moment_id}")
    missing = await dave.get("/moments/123456789")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text and "No such Moment." in hidden.text
    assert "只有朋友能看" not in hidden.text
    for path in (f"/moments/{moment_id}/fragment", f"/moments/{moment_id}/like"):
        method = dave.get if path.endswith("fragment") else dave.post
        assert (await method(path)).status_code == 404
    assert shown(await dave.page("/moments")) == []
    alice_id = await account_id(people, "alice")
    wall = await dave.page(f"/people/{alice_id}/moments")
    assert shown(wall) == [] and "只有朋友能看" not in wall
    assert shown(await users["bob"].page(f"/people/{alice_id}/moments")) == [moment_id]


async def test_like_and_unlike_swap_the_moment(browser_for: NewBrowser, people: Personas) -> None:
    users = await cast(browser_for, people)
    moment_id, _ = await post(users["alice"], "晚霞")
    bob = users["bob"]
    liked = await bob.post(f"/moments/{moment_id}/like", htmx=True)
    assert liked.status_code == 200 and shown(liked.text) == [moment_id]
    assert "<html" not in liked.text
    assert counts(liked.text, moment_id) == (1, 0)
    assert 'aria-pressed="true"' in liked.text and f"/moments/{moment_id}/unlike" in liked.text
    assert re.search(r'class="moment-likes">.*>Bob</a></p>', liked.text)
    again = await bob.post(f"/moments/{moment_id}/like", htmx=True)
    assert counts(again.text, moment_id) == (1, 0)  # liking twice changes nothing
    alice_view = await users["alice"].page("/moments")
    assert re.search(r'class="moment-likes">.*>Bob</a></p>', alice_view)
    unliked = await bob.post(f"/moments/{moment_id}/unlike", htmx=True)
    assert counts(unliked.text, moment_id) == (0, 0)
    assert 'aria-pressed="false"' in unliked.text and "moment-likes" not in unliked.text
    # without HTMX, a plain form goes back to the Moment
    r = await bob.post(f"/moments/{moment_id}/like")
    assert r.status_code == 303 and r.headers["location"] == f"/moments/{moment_id}"


async def test_comment_reply_and_delete(browser_for: NewBrowser, people: Personas) -> None:
    users = await cast(browser_for, people)
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    moment_id, _ = await post(alice, "猜猜这是哪")
    r = await bob.post(f"/moments/{moment_id}/comments", {"text": "杭州？"}, htmx=True)
    [first] = comment_ids(r.text)
    assert re.search(
        r'<span class="comment-who">Bob</span>: <span class="comment-text">杭州？', r.text
    )
    r = await alice.post(
        f"/moments/{moment_id}/comments", {"text": "答对了", "reply_to_id": first}, htmx=True
    )
    assert re.search(
        r'<span class="comment-who">Alice</span> replied to <span class="comment-who">Bob</span>: '
        r'<span class="comment-text">答对了',
        r.text,
    )
    [_, reply] = comment_ids(r.text)
    # others' comments are buttons to reply to their author
    view = await alice.page(f"/moments/{moment_id}")
    assert f'data-action="reply" data-moment="{moment_id}" data-comment="{first}"' in view
    assert f'data-comment="{reply}"' not in view  # not to myself

    mine = await carol.post(f"/moments/{moment_id}/comments", {"text": "我也去过"}, htmx=True)
    [carols] = comment_ids(mine.text)
    # bob may delete only his own comments: carol's is not his to see or delete
    r = await bob.post(f"/moments/{moment_id}/comments/{carols}/delete", htmx=True)
    assert r.status_code == 404
    assert f"/comments/{first}/delete" in (await bob.page(f"/moments/{moment_id}"))
    r = await bob.post(f"/moments/{moment_id}/comments/{first}/delete", htmx=True)
    assert r.status_code == 200 and "杭州？" not in r.text
    # the author may delete any comment on her Moment
    view = await alice.page(f"/moments/{moment_id}")
    assert f"/comments/{carols}/delete" in view
    r = await alice.post(f"/moments/{moment_id}/comments/{carols}/delete", htmx=True)
    assert "我也去过" not in r.text
    assert "我也去过" not in (await carol.page(f"/moments/{moment_id}"))
    r = await bob.post(f"/moments/{moment_id}/comments", {"text": " "}, htmx=True)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#toast"


async def test_deleting_a_moment(browser_for: NewBrowser, people: Personas) -> None:
    users = await cast(browser_for, people)
    alice, bob = users["alice"], users["bob"]
    keep, _ = await post(alice, "留着")
    gone, _ = await post(alice, "删掉", photos=1)
    photo = re.search(rf'src="({MEDIA_PATH}/thumb)"', await bob.page(f"/moments/{gone}"))
    assert photo
    refused = await bob.post(f"/moments/{gone}/delete", htmx=True)
    assert refused.status_code == 403
    assert 'class="link moment-delete"' not in (await bob.page(f"/moments/{gone}"))
    assert 'class="link moment-delete"' in (await alice.page(f"/moments/{gone}"))
    r = await alice.post(f"/moments/{gone}/delete", htmx=True)
    assert r.status_code == 200 and r.text.strip() == ""  # the article leaves the list
    assert shown(await bob.page("/moments")) == [keep]
    assert (await bob.get(f"/moments/{gone}")).status_code == 404
    await assert_missing_file(bob.c, photo.group(1))
    # from its own page, deleting goes back to the feed
    r = await alice.c.post(
        f"/moments/{keep}/delete",
        headers={
            "HX-Request": "true",
            "X-CSRF-Token": alice.csrf,
            "HX-Current-URL": f"http://testserver/moments/{keep}",
        },
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/moments"
    assert shown(await alice.page("/moments")) == []


async def test_text_is_escaped_and_links_are_clickable(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    text = '<script>alert(1)</script> "看" https://example.com/a?b=1&c=<i> 完.'
    moment_id, feed = await post(users["alice"], text, location="<b>西湖</b>")
    await users["bob"].post(
        f"/moments/{moment_id}/comments", {"text": "<img src=x onerror=alert(2)>"}, htmx=True
    )
    view = await users["bob"].page(f"/moments/{moment_id}")
    for html in (feed, view):
        assert "<script>alert" not in html and "<b>西湖" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b&gt;西湖&lt;/b&gt;" in html
        assert '<a href="https://example.com/a?b=1&amp;c=" target="_blank"' in html
    assert "<img src=x" not in view and "&lt;img src=x onerror=alert(2)&gt;" in view


async def test_live_fragment_and_new_moments_button(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    feed = await users["bob"].page("/moments")
    assert 'id="moments-news"' in feed and 'hx-get="/moments/page"' in feed
    moment_id, _ = await post(users["alice"], "直播")
    fresh = await users["bob"].get("/moments/page", headers={"HX-Request": "true"})
    assert shown(fresh.text) == [moment_id]
    fragment = await users["bob"].get(f"/moments/{moment_id}/fragment")
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<article")


async def test_someones_moments_page(browser_for: NewBrowser, people: Personas) -> None:
    users = await cast(browser_for, people)
    alice_id = await account_id(people, "alice")
    mine, _ = await post(users["alice"], "我的")
    await post(users["bob"], "bob 的")
    wall = await users["carol"].page(f"/people/{alice_id}/moments")
    assert shown(wall) == [mine] and "Alice" in wall and "bob 的" not in wall
    own = await users["alice"].page(f"/people/{alice_id}/moments")
    assert 'href="/moments/new"' in own
    assert (await users["alice"].get("/people/123456789/moments")).status_code == 404


async def test_forms_without_the_csrf_token_are_refused(
    browser_for: NewBrowser, people: Personas
) -> None:
    users = await cast(browser_for, people)
    moment_id, _ = await post(users["alice"], "防伪")
    bob = users["bob"]
    for path, data in (
        ("/moments/new", {"text": "forged"}),
        (f"/moments/{moment_id}/like", {}),
        (f"/moments/{moment_id}/comments", {"text": "forged"}),
        (f"/moments/{moment_id}/delete", {}),
    ):
        assert (await bob.c.post(path, data=data)).status_code == 403, path
        wrong = {**data, "csrf_token": "A" * 43}
        assert (await bob.c.post(path, data=wrong)).status_code == 403, path
    view = await users["alice"].page(f"/moments/{moment_id}")
    assert counts(view, moment_id) == (0, 0) and "forged" not in view
    assert len(shown(await users["alice"].page("/moments"))) == 1


async def test_people_are_named_by_my_remarks(browser_for: NewBrowser, people: Personas) -> None:
    """As on WeChat, a Moment shows the names I gave my friends, not the ones they chose."""
    users = await cast(browser_for, people)
    alice_id = await account_id(people, "alice")
    moment_id, _ = await post(users["alice"], "新年快乐")
    await users["bob"].post(f"/moments/{moment_id}/comments", {"text": "同乐！"}, htmx=True)
    bob = await people.login("bob")
    r = await people.client.patch(
        f"/api/quanzi/v1/friends/{alice_id}", json={"remark": "老同学 <Alice>"}, headers=bob.auth
    )
    assert r.status_code == 200, r.text
    seen_by_bob = await users["bob"].page("/moments")
    assert "老同学 &lt;Alice&gt;" in seen_by_bob  # the remark, escaped
    seen_by_carol = await users["carol"].page(f"/moments/{moment_id}")
    assert "老同学" not in seen_by_carol and "Alice" in seen_by_carol  # only Bob's remark
