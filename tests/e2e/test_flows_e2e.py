"""What people do in the browser, end to end: become friends with a greeting and chat live,
the Moments comment rule seen from a third person's screen, switching the language, and
pictures that show."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.e2e.conftest import NewPerson, Person
from tests.e2e.test_chat_e2e import befriend, say
from tests.helpers import PASSWORD, encode, picture


async def my_id(person: Person) -> str:
    await person.go("/me")
    link = await person.page.locator("a[href^='/people/']").first.get_attribute("href")
    if link:
        return link.rsplit("/", 1)[1]
    await person.go("/me/qr")
    url = await person.page.locator("input[readonly]").first.input_value()
    return url.rsplit("/", 1)[1]


async def test_friend_request_with_a_greeting_then_a_live_chat(person: NewPerson) -> None:
    alice, bob = await person("alice", "Alice"), await person("bob", "鲍勃")
    # Alice finds Bob by his handle and asks, with a greeting.
    await alice.go("/contacts/search")
    await alice.page.locator("#people-q").fill("bob")
    await alice.page.locator("#people-q").press("Enter")
    await alice.page.get_by_role("link", name=re.compile("鲍勃")).first.click()
    await alice.page.locator("#add-friend").click()
    await alice.page.get_by_label("Greeting").fill("我是 Alice，读书会见过")
    await alice.page.get_by_role("button", name="Send").click()
    await expect(alice.page.locator("body")).to_contain_text("sent")

    # Bob sees the request with its greeting and accepts it, with a remark.
    await bob.go("/contacts/requests")
    request = bob.page.locator("form.request-answer").first
    await expect(bob.page.locator("#main")).to_contain_text("我是 Alice，读书会见过")
    await request.get_by_text("Remark and labels").click()
    await request.get_by_label("Remark").fill("Alice (读书会)")
    await request.get_by_role("button", name="Accept").click()
    await bob.go("/contacts")
    await expect(bob.page.locator("#main")).to_contain_text("Alice (读书会)")

    # Alice opens the chat from Bob's profile; both write, both see it without reloading.
    await alice.go("/contacts")
    await alice.page.get_by_role("link", name=re.compile("鲍勃")).first.click()
    await alice.page.locator("#message").click()
    await alice.page.wait_for_url(re.compile(r".*/chats/\d+$"))
    chat = "/" + alice.page.url.split("/", 3)[3]
    await bob.go(chat)
    for someone in (alice, bob):
        await expect(someone.page.locator("body")).to_have_attribute("data-live", "true")
    await say(alice, "Bob 你好！")
    await expect(bob.page.locator("#messages")).to_contain_text("Bob 你好！")
    await say(bob, "Hello Alice, welcome 🎉")
    await expect(alice.page.locator("#messages")).to_contain_text("Hello Alice, welcome 🎉")


async def test_moment_comments_follow_the_mutual_friend_rule(person: NewPerson) -> None:
    """Ann posts; Ben and Cat are her friends but not each other's: Cat sees Ann's Moment
    and Ann's reply, never Ben's comment."""
    ann, ben, cat = await person("ann", "Ann"), await person("ben", "Ben"), await person("cat")
    await befriend(ann, ben)
    await befriend(ann, cat)

    await ann.go("/moments/new")
    await ann.page.locator("#moment-text").fill("周末去爬山了 ⛰️")
    await ann.page.get_by_label("Location").fill("香山")
    await ann.page.get_by_role("button", name="Publish").click()
    await ann.page.wait_for_url(re.compile(r".*/moments$"))
    moment = ann.page.locator("article.moment").first
    await expect(moment).to_contain_text("周末去爬山了")
    moment_id = await moment.get_attribute("data-moment-id")

    await ben.go("/moments")
    card = ben.page.locator(f"#moment-{moment_id}")
    await card.locator(f"#comment-button-{moment_id}").click()
    await card.locator(f"#comment-text-{moment_id}").fill("Ben was here")
    await card.locator(f"#comment-text-{moment_id}").press("Enter")
    await expect(ben.page.locator(f"#moment-{moment_id}")).to_contain_text("Ben was here")
    await ben.page.locator(f"#like-{moment_id}").click()
    await expect(ben.page.locator(f"#moment-{moment_id}")).to_have_attribute(
        "data-likes-count", "1"
    )

    await cat.go("/moments")
    cats_view = cat.page.locator(f"#moment-{moment_id}")
    await expect(cats_view).to_contain_text("周末去爬山了")
    await expect(cats_view).not_to_contain_text("Ben was here")
    await expect(cats_view).to_have_attribute("data-comments-count", "0")
    await expect(cats_view).to_have_attribute("data-likes-count", "0")
    await ann.go(f"/moments/{moment_id}")
    await expect(ann.page.locator(f"#moment-{moment_id}")).to_contain_text("Ben was here")


async def test_switching_the_language(person: NewPerson) -> None:
    someone = await person("lang")
    await expect(someone.page.locator("nav.tabs")).to_contain_text("Contacts")
    await someone.go("/me/language")
    await someone.page.get_by_label("简体中文").check()
    await someone.page.locator("#language-save").click()
    await someone.go("/chats")
    await expect(someone.page.locator("nav.tabs")).to_contain_text("通讯录")
    assert await someone.page.locator("html").get_attribute("lang") == "zh-CN"


async def test_post_to_the_square_and_repost_with_a_comment(person: NewPerson) -> None:
    """Posting with a #topic#, a repost with a comment, and a repost of that repost: the
    chain reads as Weibo writes it and the original keeps the count of the whole chain."""
    amy, ben, cal = await person("amy", "Amy"), await person("ben"), await person("cal")
    await amy.go("/square")
    await amy.page.locator("#compose-text").fill("今天发布了新版本 #开源# 欢迎试用")
    await amy.page.locator("#compose").get_by_role("button", name="Publish").click()
    post = amy.page.locator("article.sq-post").first
    await expect(post).to_contain_text("今天发布了新版本")
    await expect(post.get_by_role("link", name=re.compile("开源"))).to_be_visible()
    post_id = await post.get_attribute("data-post-id")

    await ben.go(f"/posts/{post_id}/repost")
    await ben.page.locator("#repost-comment").fill("太好了")
    await ben.page.get_by_role("button", name="Repost").click()
    await ben.go("/square?tab=public")
    repost = ben.page.locator("article.sq-post").first
    await expect(repost).to_contain_text("太好了")
    await expect(repost.locator(".sq-original")).to_contain_text("今天发布了新版本")
    repost_id = await repost.get_attribute("data-post-id")

    await cal.go(f"/posts/{repost_id}/repost")
    await cal.page.locator("#repost-comment").fill("转发一下")
    await cal.page.get_by_role("button", name="Repost").click()
    await cal.go("/square?tab=public")
    chain = cal.page.locator("article.sq-post").first
    await expect(chain).to_contain_text("转发一下 //@ben: 太好了")
    await expect(chain.locator(".sq-original")).to_contain_text("今天发布了新版本")
    await amy.go(f"/posts/{post_id}")
    await expect(amy.page.locator(f"#post-{post_id} [data-count=reposts]").first).to_have_text("2")


async def test_photos_and_avatars_show_in_the_browser(person: NewPerson) -> None:
    """A followers-only photo and its author's avatar, seen by a follower in a real browser:
    the <img> elements load by their signed URLs, under the page's content security policy."""
    amy, ben = await person("amy", "Amy"), await person("ben", "Ben")
    png = encode(picture((120, 90)), "PNG")
    await amy.go("/me/profile")
    await amy.page.locator("#avatar-input").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png}]
    )
    await amy.page.locator("#profile-save").click()
    await amy.page.wait_for_url("**/me/profile?saved=1")
    async with ben.api() as http:
        sessions = [
            await http.post("/api/quanzi/v1/sessions", json={"login": h, "password": PASSWORD})
            for h in ("amy", "ben")
        ]
        amy_id, token = sessions[0].json()["account"]["id"], sessions[1].json()["token"]
        r = await http.post(
            f"/api/quanzi/v1/accounts/{amy_id}/follow", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.is_success, r.text
    await amy.go("/square")
    compose = amy.page.locator("#compose")
    await compose.locator("textarea").fill("只给关注者的照片")
    await compose.locator('input[type="file"]').set_input_files(
        files=[{"name": "p.png", "mimeType": "image/png", "buffer": png}]
    )
    await compose.locator('select[name="visibility"]').select_option("followers")
    await compose.get_by_role("button", name="Publish").click()
    await expect(amy.page.locator("article.sq-post").first).to_contain_text("只给关注者的照片")

    await ben.go("/square")
    post = ben.page.locator("article.sq-post").first
    await expect(post).to_contain_text("只给关注者的照片")
    images = post.locator('img[src^="/media/"]')
    assert await images.count() >= 2  # the author's avatar and the photo
    for i in range(await images.count()):
        loaded = await images.nth(i).evaluate(
            "img => img.decode().then(() => img.naturalWidth, () => 0)"
        )
        assert loaded > 0, await images.nth(i).get_attribute("src")
    # The same URLs in a browser that is logged in as nobody: a capability needs no cookie.
    stranger = await person("nobody", register=False)
    for i in range(await images.count()):
        src = await images.nth(i).get_attribute("src")
        response = await stranger.context.request.get(f"{stranger.base}{src}")
        assert response.status == 200, src
