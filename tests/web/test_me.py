"""The Me tab over HTTP: my card, profile and photo, QR code name card, privacy, language,
devices, password, notifications, deleting the account."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import orjson
import segno
import zxingcpp
from PIL import Image

from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.notifications.shapes import NotificationRead
from quanzi.web import i18n
from quanzi.web.me import describe
from tests.helpers import PASSWORD, Personas, encode, load_file, picture
from tests.web.conftest import NewBrowser
from tests.web_helpers import WebUser, media_images

SVG = "{http://www.w3.org/2000/svg}"


async def my_id(user: WebUser) -> str:
    r = await user.c.get("/api/quanzi/v1/accounts/me")  # the API takes the page's cookie too
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def decode(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def rasterize(svg: bytes) -> Image.Image:
    """Draw segno's SVG (one path of horizontal runs: M/m moves, h lines through the middle
    of a row of modules) as a picture a QR decoder can read."""
    root = ET.fromstring(svg)  # noqa: S314 (the SVG our own server drew)
    group = root.find(f"{SVG}g")
    assert group is not None
    scale = int(re.fullmatch(r"scale\((\d+)\)", group.get("transform", "")).group(1))  # type: ignore[union-attr]
    size = int(root.get("width", "0")) // scale
    dark = next(p for p in group.iter(f"{SVG}path") if p.get("stroke"))
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", dark.get("d", "")):
        numbers = [float(n) for n in args.replace(",", " ").split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            for dx in range(int(numbers[0])):
                image.putpixel((int(x) + dx, int(y)), 0)
            x += numbers[0]
    return image.resize((size * 8, size * 8), Image.Resampling.NEAREST)


async def befriend(people: Personas, a: str, b: str) -> None:
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


def session_ids(html: str) -> tuple[str, list[str]]:
    """The current session and the others, as the devices page lists them."""
    current = re.findall(r'data-session="(\d+)" data-current="true"', html)
    every = re.findall(r'data-session="(\d+)"', html)
    assert len(current) == 1
    return current[0], [s for s in every if s != current[0]]


async def test_me_page_shows_my_card_and_the_menu(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    account = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()
    html = await alice.page("/me")
    assert 'data-view="me"' in html and 'aria-current="page"' in html
    assert "Alice" in html
    assert '<span data-handle="alice">Handle: alice</span>' in html
    assert f'<span data-number="{account["number"]}">Account number: {account["number"]}' in html
    for href in (
        "/me/profile",
        "/me/qr",
        "/me/notifications",
        "/me/privacy",
        "/me/language",
        "/me/sessions",
        "/me/password",
        "/me/delete",
    ):
        assert f'href="{href}"' in html, href
    assert 'action="/logout"' in html and 'name="csrf_token"' in html
    logged_out = await alice.post("/logout")
    assert logged_out.headers["location"] == "/login"
    assert (await alice.get("/me")).headers["location"] == "/login?next=/me"


async def test_profile_edits_are_saved_and_shown_escaped(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    r = await alice.post(
        "/me/profile",
        {
            "display_name": "<b>Ali</b> & Co",
            "bio": "<script>alert(1)</script> 你好",
            "region": "北京 <i>海淀</i>",
            "gender": "female",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/me/profile?saved=1"
    me = await alice.page("/me")
    assert "&lt;b&gt;Ali&lt;/b&gt; &amp; Co" in me and "<b>Ali</b>" not in me
    form = await alice.page("/me/profile?saved=1")
    assert "Your profile is saved." in form
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 你好</textarea>" in form
    assert "<script>alert" not in form
    assert 'value="北京 &lt;i&gt;海淀&lt;/i&gt;"' in form
    assert '<option value="female" selected>' in form
    account = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()
    assert account["display_name"] == "<b>Ali</b> & Co" and account["gender"] == "female"
    # errors come back on the form, with what was typed
    bad = await alice.post("/me/profile", {"display_name": "  ", "bio": "kept <bio>"})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text and "display name" in bad.text
    assert "kept &lt;bio&gt;</textarea>" in bad.text
    # clearing the gender
    await alice.post("/me/profile", {"display_name": "Alice", "gender": ""})
    assert (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["gender"] is None


async def test_avatar_upload_shows_the_new_avatar(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    before = await alice.page("/me")
    assert "/thumb" not in before and "avatar-letter" in before
    form = await alice.page("/me/profile")
    assert 'id="avatar-input"' in form and 'id="avatar-preview"' in form
    png = encode(picture((120, 90)), "PNG")
    r = await alice.post(
        "/me/profile",
        {"display_name": "Alice"},
        files={"avatar": ("me.png", png, "image/png")},
    )
    assert r.status_code == 303, r.text[:500]
    avatar_id = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["avatar_id"]
    assert avatar_id
    me = await alice.page("/me")
    shown = [src for src in media_images(me) if src.startswith(f"/media/{avatar_id}/")]
    assert shown and all(src.endswith("/thumb") for src in shown)
    thumb = await load_file(alice.c, shown[0])
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
    # not an image: the form says so and the avatar stays
    broken = await alice.post(
        "/me/profile",
        {"display_name": "Alice"},
        files={"avatar": ("me.png", b"not a picture", "image/png")},
    )
    assert broken.status_code in (415, 422) and 'role="alert"' in broken.text
    assert (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["avatar_id"] == avatar_id
    # removing it
    await alice.post("/me/profile", {"display_name": "Alice", "remove_avatar": "true"})
    assert (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["avatar_id"] is None
    assert "/thumb" not in await alice.page("/me")


async def test_qr_code_opens_my_profile(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    account = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()
    url = f"http://testserver/people/{account['id']}"
    card = await alice.page("/me/qr")
    assert 'src="/me/qr.svg"' in card and 'href="/me/qr.png"' in card
    assert f'value="{url}"' in card and "readonly" in card
    assert f'data-number="{account["number"]}">Account number: {account["number"]}' in card
    assert 'data-handle="alice">Handle: alice<' in card

    svg = await alice.get("/me/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["cache-control"] == "no-store"
    assert decode(rasterize(svg.content)) == [url]
    expected = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        expected, kind="svg", scale=8, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    assert svg.content == expected.getvalue()

    png = await alice.get("/me/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    assert png.headers["content-disposition"].startswith("attachment;")
    assert decode(Image.open(io.BytesIO(png.content))) == [url]

    visitor = WebUser(alice.c)
    try:
        assert (await visitor.get("/me/qr.svg")).status_code == 303  # only for the owner
    finally:
        await visitor.close()


async def test_privacy_switches_change_what_search_finds(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    bob = await people.login("bob")
    number = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["number"]

    async def found() -> tuple[bool, bool, bool]:
        c = people.client
        search = await c.get(
            "/api/quanzi/v1/accounts/search", params={"q": "alice"}, headers=bob.auth
        )
        handle = await c.get(
            "/api/quanzi/v1/accounts/lookup", params={"handle": "alice"}, headers=bob.auth
        )
        by_number = await c.get(
            "/api/quanzi/v1/accounts/lookup", params={"number": number}, headers=bob.auth
        )
        in_search = any(a["handle"] == "alice" for a in search.json()["items"])
        return in_search, handle.status_code == 200, by_number.status_code == 200

    page = await alice.page("/me/privacy")
    assert re.search(
        r'name="find_in_search" id="privacy-find_in_search" value="true"[^>]* checked', page
    )
    assert re.search(r'id="moments-window-all" checked', page)
    assert await found() == (True, True, True)

    r = await alice.post(
        "/me/privacy",
        {
            "find_by_number": "true",
            "locked": "true",
            "allow_strangers": "true",
            "moments_window": "3d",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/me/privacy?saved=1"
    assert await found() == (False, False, True)
    page = await alice.page("/me/privacy?saved=1")
    assert "Your privacy settings are saved." in page
    assert not re.search(r'id="privacy-find_in_search" value="true"[^>]* checked', page)
    assert re.search(r'id="privacy-locked" value="true"[^>]* checked', page)
    assert re.search(r'id="moments-window-3d" checked', page)
    privacy = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()["privacy"]
    assert privacy == {
        "find_by_number": True,
        "find_by_handle": False,
        "find_in_search": False,
        "add_needs_verification": False,
        "allow_strangers": True,
        "locked": True,
        "show_presence": False,
        "moments_window": "3d",
    }

    await alice.post("/me/privacy", {"find_by_handle": "true", "find_in_search": "true"})
    assert await found() == (True, True, False)
    bad = await alice.post("/me/privacy", {"moments_window": "1y"})
    assert bad.status_code == 422


async def test_language_is_chosen_on_the_language_page(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    page = await alice.page("/me/language")
    assert 'action="/language"' in page and 'name="next" value="/me/language"' in page
    assert 'id="language-en" checked' in page and 'id="language-zh_CN" checked' not in page
    r = await alice.post("/language", {"language": "zh_CN", "next": "/me/language"})
    assert r.status_code == 303 and r.headers["location"] == "/me/language"
    page = await alice.page("/me/language")
    assert 'lang="zh-CN"' in page and 'id="language-zh_CN" checked' in page
    assert "<h1>语言</h1>" in page
    me = await alice.page("/me")
    assert "隐私" in me and "简体中文" in me and "退出登录" in me


async def test_devices_are_listed_and_a_revoked_one_is_logged_out(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    phone = WebUser(alice.c)
    try:
        await phone.log_in("alice")
        app = await people.login("alice", device="Alice's tablet")
        html = await alice.page("/me/sessions")
        assert html.count("data-session=") == 3
        assert "This device" in html and "Alice&#39;s tablet" in html
        assert "Log out all other devices" in html
        mine, others = session_ids(html)
        assert app.session_id in others
        phone_html = await phone.page("/me/sessions")
        phone_session, _ = session_ids(phone_html)
        assert phone_session != mine and phone_session in others

        r = await alice.post(f"/me/sessions/{phone_session}/revoke")
        assert r.status_code == 303 and r.headers["location"] == "/me/sessions"
        assert (await phone.get("/me")).headers["location"] == "/login?next=/me"
        assert (await alice.get("/me")).status_code == 200
        html = await alice.page("/me/sessions")
        assert html.count("data-session=") == 2

        missing = await alice.post(f"/me/sessions/{phone_session}/revoke")
        assert missing.status_code == 404

        await alice.post("/me/sessions/others/revoke")
        gone = await people.client.get("/api/quanzi/v1/accounts/me", headers=app.auth)
        assert gone.status_code == 401
        html = await alice.page("/me/sessions")
        assert html.count("data-session=") == 1 and "Log out all other devices" not in html
    finally:
        await phone.close()


async def test_password_change_shows_errors_and_ends_the_old_password(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    other = WebUser(alice.c)
    try:
        await other.log_in("alice")
        new = "a much better passphrase"
        wrong = await alice.post(
            "/me/password",
            {"current_password": "not it at all", "new_password": new, "repeat_password": new},
        )
        assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
        mismatch = await alice.post(
            "/me/password",
            {"current_password": PASSWORD, "new_password": new, "repeat_password": new + "!"},
        )
        assert mismatch.status_code == 422 and "The new passwords do not match." in mismatch.text
        short = await alice.post(
            "/me/password",
            {"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
        )
        assert short.status_code == 422 and 'role="alert"' in short.text

        done = await alice.post(
            "/me/password",
            {"current_password": PASSWORD, "new_password": new, "repeat_password": new},
        )
        assert done.status_code == 303 and done.headers["location"] == "/me/password?changed=1"
        assert "Your password is changed." in await alice.page("/me/password?changed=1")
        assert (await other.get("/me")).status_code == 303  # other devices are logged out

        stale = await people.client.post(
            "/api/quanzi/v1/sessions", json={"login": "alice", "password": PASSWORD}
        )
        assert stale.status_code == 401
        await people.login("alice", password=new)
    finally:
        await other.close()


async def test_notifications_read_as_sentences_with_links(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice_web = await browser_for("alice")
    for name in ("bob", "carol", "dave"):
        await browser_for(name)
    alice, bob, carol = [await people.login(n) for n in ("alice", "bob", "carol")]
    c = people.client
    empty = await alice_web.page("/me/notifications")
    assert "No notifications yet." in empty and 'hx-trigger="qz:notifications from:body"' in empty

    await c.post(
        "/api/quanzi/v1/friend-requests",
        json={"account_id": alice.id, "greeting": "<b>hi</b> alice"},
        headers=bob.auth,
    )
    await c.post(f"/api/quanzi/v1/accounts/{alice.id}/follow", headers=carol.auth)
    await befriend(people, "alice", "dave")
    dave = await people.login("dave")
    moment = (
        await c.post("/api/quanzi/v1/moments", json={"text": "周末"}, headers=alice.auth)
    ).json()
    await c.post(f"/api/quanzi/v1/moments/{moment['id']}/like", headers=dave.auth)
    post = (await c.post("/api/quanzi/v1/posts", json={"text": "hello"}, headers=alice.auth)).json()
    await c.post(f"/api/quanzi/v1/posts/{post['id']}/like", headers=dave.auth)
    comment = (
        await c.post(
            f"/api/quanzi/v1/posts/{post['id']}/comments", json={"text": "nice"}, headers=dave.auth
        )
    ).json()

    html = await alice_web.page("/me/notifications")
    assert "Bob wants to add you as a friend" in html
    assert "&lt;b&gt;hi&lt;/b&gt; alice" in html and "<b>hi</b>" not in html
    assert 'href="/contacts/requests"' in html
    assert "Carol followed you" in html and f'href="/people/{carol.id}"' in html
    assert "Dave liked your Moment" in html and f'href="/moments/{moment["id"]}"' in html
    assert "Dave liked your post" in html and f'href="/posts/{post["id"]}"' in html
    assert "Dave commented on your post" in html
    assert f'href="/posts/{post["id"]}#c{comment["id"]}"' in html
    unread = html.count('data-unread="true"')
    assert unread >= 5 and "mark-all-read" not in html and "/me/notifications/read" not in html
    # opening the list marked what it showed read: the badges clear (app.js hears
    # notifications.read and asks again), and the next visit shows them read
    count = await c.get("/api/quanzi/v1/notifications/unread_count", headers=alice.auth)
    assert count.json()["count"] == 0
    me = await alice_web.page("/me")
    assert 'id="badge-me-row" data-count="0"' in me and 'id="badge-me" data-count="0"' in me

    await c.post(f"/api/quanzi/v1/posts/{post['id']}/reposts", json={}, headers=dave.auth)
    me = await alice_web.page("/me")
    assert 'id="badge-me-row" data-count="1"' in me  # the menu row's badge (kept live too)
    fragment = await alice_web.get("/me/notifications/list", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Dave reposted your post" in fragment.text and fragment.text.count("data-unread") == 1
    count = await c.get("/api/quanzi/v1/notifications/unread_count", headers=alice.auth)
    assert count.json()["count"] == 0  # the live refresh marks what it shows read too
    html = await alice_web.page("/me/notifications")
    assert 'data-unread="true"' not in html and "Carol followed you" in html


async def test_notification_preview_shows_what_it_is_about_as_the_reader_may_see_it(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice_web = await browser_for("alice")
    await browser_for("dave")
    await befriend(people, "alice", "dave")
    alice, dave = await people.login("alice"), await people.login("dave")
    c = people.client
    long_text = "这是一段很长的动态" * 12
    post = (
        await c.post("/api/quanzi/v1/posts", json={"text": long_text}, headers=alice.auth)
    ).json()
    await c.post(f"/api/quanzi/v1/posts/{post['id']}/like", headers=dave.auth)
    await c.post(
        f"/api/quanzi/v1/posts/{post['id']}/comments",
        json={"text": "写得  真好\n<i>赞</i>"},
        headers=dave.auth,
    )
    moment = (
        await c.post("/api/quanzi/v1/moments", json={"text": "周末去爬山"}, headers=alice.auth)
    ).json()
    await c.post(
        f"/api/quanzi/v1/moments/{moment['id']}/comments",
        json={"text": "带上我"},
        headers=dave.auth,
    )
    group = (
        await c.post(
            "/api/quanzi/v1/conversations/group",
            json={"name": "爬山群", "member_ids": [alice.id]},
            headers=dave.auth,
        )
    ).json()
    for n, text in enumerate(("@Alice 几点出发？", "@Alice 发错了")):
        await c.post(
            f"/api/quanzi/v1/conversations/{group['id']}/messages",
            json={"client_msg_id": f"m{n}", "text": text, "mentions": [alice.id]},
            headers=dave.auth,
        )
    await c.patch(f"/api/quanzi/v1/friends/{dave.id}", json={"remark": "老戴"}, headers=alice.auth)

    html = await alice_web.page("/me/notifications")
    previews = re.findall(r'<span class="me-quote me-preview">([^<]*)</span>', html)
    # the post's first words, cut; the comment on one line, escaped; the Moment's comment;
    # the message that mentioned me
    assert long_text[:59] + "…" in previews
    assert "写得 真好 &lt;i&gt;赞&lt;/i&gt;" in previews
    assert "带上我" in previews and "@Alice 几点出发？" in previews
    assert all(len(p) <= 60 for p in previews if "&" not in p)
    # people are named by my remark for them, as everywhere on the web
    assert "老戴 liked your post" in html and "老戴 commented on your Moment" in html
    assert "Dave liked" not in html

    # what I may no longer see shows no preview: a recalled message, a deleted comment
    chat_mentions = (await c.get("/api/quanzi/v1/notifications", headers=alice.auth)).json()
    seqs = [n["data"]["seq"] for n in chat_mentions["items"] if n["kind"] == "chat_mention"]
    recall = await c.post(
        f"/api/quanzi/v1/conversations/{group['id']}/messages/{max(seqs)}/recall",
        headers=dave.auth,
    )
    assert recall.status_code == 200, recall.text
    comments = (await c.get(f"/api/quanzi/v1/moments/{moment['id']}", headers=alice.auth)).json()[
        "comments"
    ]
    gone = await c.delete(
        f"/api/quanzi/v1/moments/{moment['id']}/comments/{comments[0]['id']}",
        headers=dave.auth,
    )
    assert gone.status_code == 204, gone.text
    html = await alice_web.page("/me/notifications")
    assert "发错了" not in html and "带上我" not in html
    assert "几点出发" in html  # the other message still shows


def test_every_kind_of_notification_reads_as_a_sentence_with_its_link() -> None:
    i18n.set_language("en")
    now = datetime.now(UTC)
    actor = AccountRow(
        id=7, number=10007, handle="lilei", email=None, display_name="李雷", bio="", region="",
        gender=None, avatar_id=None, find_by_number=True, find_by_handle=True,
        find_in_search=True, add_needs_verification=True, allow_strangers=False, locked=False,
        show_presence=True, moments_window="all", followers_count=0, following_count=0,
        post_count=0, role="user", status="active", created_at=now, updated_at=now,
    )  # fmt: skip
    cases = {
        ("friend_request", '{"request_id": "5", "greeting": "hi"}'): "/contacts/requests",
        ("friend_accepted", '{"request_id": "5"}'): "/people/7",
        ("follow", "{}"): "/people/7",
        ("follow_request", "{}"): "/contacts/followers",
        ("follow_accepted", "{}"): "/people/7",
        ("group_invite", '{"conversation_id": "31", "name": "读书会"}'): "/chats/31",
        ("chat_mention", '{"conversation_id": "31", "seq": 4}'): "/chats/31#m4",
        ("mention", '{"post_id": "41"}'): "/posts/41",
        ("comment", '{"post_id": "41", "comment_id": "42"}'): "/posts/41#c42",
        ("reply", '{"post_id": "41", "comment_id": "43"}'): "/posts/41#c43",
        ("repost", '{"post_id": "44", "of": "41"}'): "/posts/44",
        ("like", '{"post_id": "41"}'): "/posts/41",
        ("comment_like", '{"post_id": "41", "comment_id": "42"}'): "/posts/41#c42",
        ("moment_like", '{"moment_id": "51"}'): "/moments/51",
        ("moment_comment", '{"moment_id": "51", "comment_id": "52"}'): "/moments/51#comment-52",
        ("moment_reply", '{"moment_id": "51", "comment_id": "53"}'): "/moments/51#comment-53",
    }
    sentences = set()
    for (kind, data), href in cases.items():
        n = NotificationRead(
            id=1, kind=kind, actor_id=7, subject_id=2, data=orjson.loads(data),
            read=False, created_at=now,
        )  # fmt: skip
        notice = describe(n, actor)
        assert notice.href == href, kind
        assert notice.text.startswith("李雷 "), notice.text
        sentences.add(notice.text)
    assert len(sentences) == len(cases)  # each kind says what happened
    gone = describe(
        NotificationRead(
            id=1, kind="follow", actor_id=8, subject_id=2, data={}, read=True, created_at=now
        ),
        None,
    )
    assert gone.text == "Someone followed you"


async def test_delete_account_needs_the_password_and_erases_it(
    browser_for: NewBrowser, people: Personas
) -> None:
    alice = await browser_for("alice")
    await browser_for("bob")
    bob = await people.login("bob")
    page = await alice.page("/me/delete")
    assert "This cannot be undone" in page and 'name="password"' in page and "data-confirm" in page
    wrong = await alice.post("/me/delete", {"password": "not my password"})
    assert wrong.status_code == 422 and "The password is wrong." in wrong.text
    assert (await alice.get("/me")).status_code == 200

    r = await alice.post("/me/delete", {"password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "quanzi_session" not in alice.c.cookies
    assert (await alice.get("/me")).headers["location"] == "/login?next=/me"
    again = await people.client.post(
        "/api/quanzi/v1/sessions", json={"login": "alice", "password": PASSWORD}
    )
    assert again.status_code == 401
    lookup = await people.client.get(
        "/api/quanzi/v1/accounts/lookup", params={"handle": "alice"}, headers=bob.auth
    )
    assert lookup.status_code == 404


async def test_me_forms_refuse_requests_without_the_csrf_token(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    await alice.page("/me")
    forged = {
        "/me/profile": {"display_name": "Hacked"},
        "/me/privacy": {"moments_window": "3d"},
        "/me/password": {
            "current_password": PASSWORD,
            "new_password": "hacked hacked",
            "repeat_password": "hacked hacked",
        },
        "/me/delete": {"password": PASSWORD},
        "/me/sessions/others/revoke": {},
    }
    for path, data in forged.items():
        r = await alice.c.post(path, data=data)
        assert r.status_code == 403, path
        assert "This form has expired" in r.text
        wrong = await alice.c.post(path, data={**data, "csrf_token": "A" * 43})
        assert wrong.status_code == 403, path
    account = (await alice.c.get("/api/quanzi/v1/accounts/me")).json()
    assert account["display_name"] == "Alice" and account["privacy"]["moments_window"] == "all"
    assert (await alice.get("/me")).status_code == 200
