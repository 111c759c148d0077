"""The Mastodon-compatible API, driven by a real, unmodified Mastodon client library
(Mastodon.py 2.3.3) against a real `quanzi serve` process on loopback, on SQLite and on
PostgreSQL + Redis. One test per promise of the issue.

The cast: alice and bob, who follows alice, write in Chinese and English; carol follows no one
and is the stranger the visibility tests look through. The server and the three logged-in
clients are made once per module and backend; every test makes the posts it looks at, with
words of its own, so tests do not depend on each other's order.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from tests.helpers import PASSWORD, encode, jpeg_with_gps, metadata_markers, picture
from tests.mastodon_helpers import Server, email_of, server_fixture

pytestmark = pytest.mark.slow

SCOPES = ["read", "write", "follow"]


@dataclass
class Person:
    handle: str
    id: str
    api: Mastodon
    token: str
    native: httpx.Client

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Cast:
    server: Server
    alice: Person
    bob: Person
    carol: Person

    def http(self, method: str, path: str, who: Person | None = None, **kw: Any) -> httpx.Response:
        """A raw call (for headers, status codes and error bodies)."""
        headers = {**(who.auth if who is not None else {}), **kw.pop("headers", {})}
        return httpx.request(method, f"{self.server.base}{path}", headers=headers, **kw)


server = server_fixture("mastodon")


def log_in(server: Server, handle: str) -> Person:
    """What a Mastodon app does: register itself, then log in with email and password."""
    client_id, client_secret = Mastodon.create_app(
        f"quanzi tests ({handle})", scopes=SCOPES, api_base_url=server.base
    )
    api = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=server.base,
        version_check_mode="created",
        ratelimit_method="throw",
    )
    token = api.log_in(email_of(handle), PASSWORD, scopes=SCOPES, allow_http=True)
    me = api.account_verify_credentials()
    assert me.username == handle
    return Person(handle, str(me.id), api, token, server.native(handle))


@pytest.fixture(scope="module")
def cast(server: Server) -> Iterator[Cast]:
    server.create_user("alice", "爱丽丝 Alice")
    server.create_user("bob", "鲍勃 Bob")
    server.create_user("carol", "卡罗尔 Carol")
    people = Cast(server, *(log_in(server, h) for h in ("alice", "bob", "carol")))
    people.bob.api.account_follow(people.alice.id)
    yield people
    for p in (people.alice, people.bob, people.carol):
        p.native.close()


def words() -> str:
    """A word no other test writes (to find a test's own posts in shared timelines)."""
    return f"w{uuid.uuid4().hex[:10]}"


def ids(entities: Any) -> list[str]:
    return [str(e["id"]) for e in entities]


def tag_names(status: Any) -> set[str]:
    return {t["name"].lower() for t in status["tags"]}


# Apps and logging in


def test_app_registration_and_password_login_give_a_working_token(cast: Cast) -> None:
    me = cast.alice.api.account_verify_credentials()
    assert (me.username, me.acct, me.display_name) == ("alice", "alice", "爱丽丝 Alice")
    app = cast.alice.api.app_verify_credentials()
    assert app.name == "quanzi tests (alice)"
    wrong = cast.http("GET", "/api/v1/accounts/verify_credentials", headers={"Authorization": "x"})
    assert wrong.status_code == 401


# Posting with an image


def test_status_with_image_is_served_without_exif_or_gps(cast: Cast) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    media = cast.alice.api.media_post(original, mime_type="image/jpeg", file_name="photo.jpg")
    assert media.type == "image"
    status = cast.alice.api.status_post(
        "今天去了公园 a walk in the park", media_ids=[media], visibility="public"
    )
    assert [str(m.id) for m in status.media_attachments] == [str(media.id)]
    for url in (status.media_attachments[0].url, status.media_attachments[0].preview_url):
        served = httpx.get(url)
        assert served.status_code == 200, url
        assert metadata_markers(served.content) == []
        exif = Image.open(io.BytesIO(served.content)).getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Make not in exif
    seen = cast.bob.api.status(status.id)
    assert seen.media_attachments[0].url == status.media_attachments[0].url


def image_view(url: str, token: str | None = None) -> httpx.Response:
    """What an app's image view does with `url`: a GET with no header (some send the token)."""
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


def assert_gone(cast: Cast, url: str) -> None:
    """`url` answers byte for byte as a media that never existed."""
    got = image_view(url)
    missing = image_view(f"{cast.server.base}/media/1234567/AAAAAAAAAAAAAAAAAAAAAA")
    assert got.status_code == missing.status_code == 404, url
    assert (got.headers["content-type"], got.content) == (
        missing.headers["content-type"],
        missing.content,
    )


def test_media_urls_load_in_an_image_view_before_and_after_posting(cast: Cast) -> None:
    """An app shows `url` and `preview_url` with no header: the upload's while its user
    writes, a followers-only status's for a follower; gone once the status is deleted."""
    alice, bob = cast.alice, cast.bob
    media = alice.api.media_post(encode(picture(), "PNG"), mime_type="image/png")
    for url in (media.url, media.preview_url):
        for token in (None, alice.token):  # with the app's token too: it is not needed
            r = image_view(url, token)
            assert r.status_code == 200, (url, r.text)
            assert r.headers["content-type"].startswith("image/")
    status = alice.api.status_post(f"只给关注者 {words()}", media_ids=[media], visibility="private")
    seen = bob.api.status(status.id).media_attachments[0]
    assert (seen.url, seen.preview_url) == (
        status.media_attachments[0].url,
        status.media_attachments[0].preview_url,
    )
    # the sizes apps lay photos out with, as the upload's
    assert seen.meta.original.width == media.meta.original.width > 0
    assert seen.meta.small.height == media.meta.small.height > 0
    for url in (seen.url, seen.preview_url):
        assert image_view(url).status_code == 200
        assert image_view(url, bob.token).status_code == 200
    with pytest.raises(MastodonNotFoundError):
        cast.carol.api.status(status.id)
    assert str(alice.api.media(media.id).url) == seen.url
    alice.api.status_delete(status.id)
    for url in (seen.url, seen.preview_url):
        assert_gone(cast, url)
    assert_gone(cast, seen.url[:-1] + ("A" if seen.url[-1] != "A" else "B"))  # tampered


def test_alt_text_is_kept_shown_and_changed_by_the_owner_only(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    media = alice.api.media_post(
        jpeg_with_gps(), mime_type="image/jpeg", description="一只橘猫 an orange cat"
    )
    assert media.description == "一只橘猫 an orange cat"
    status = alice.api.status_post("我的猫 my cat", media_ids=[media])
    assert status.media_attachments[0].description == "一只橘猫 an orange cat"
    assert bob.api.status(status.id).media_attachments[0].description == "一只橘猫 an orange cat"

    changed = alice.api.media_update(media.id, description="睡着的猫 a sleeping cat")
    assert changed.description == "睡着的猫 a sleeping cat"
    [shown] = [s for s in bob.api.timeline_home(limit=40) if s.id == status.id]
    assert shown.media_attachments[0].description == "睡着的猫 a sleeping cat"
    native = alice.native.get(f"/posts/{status.id}").json()
    assert native["media"][0]["description"] == "睡着的猫 a sleeping cat"

    theirs = cast.http("PUT", f"/api/v1/media/{media.id}", bob, json={"description": "mine"})
    assert theirs.status_code == 403 and "error" in theirs.json()
    too_long = cast.http(
        "PUT", f"/api/v1/media/{media.id}", alice, json={"description": "长" * 1501}
    )
    assert too_long.status_code == 422
    assert alice.api.media(media.id).description == "睡着的猫 a sleeping cat"
    assert alice.api.media_update(media.id, description="").description is None

    edited = alice.api.status_update(
        status.id,
        "我的猫 my cat, edited",
        media_attributes=[{"id": str(media.id), "description": "编辑时写的 set in an edit"}],
    )
    assert [m.description for m in edited.media_attachments] == ["编辑时写的 set in an edit"]
    assert bob.api.status(status.id).media_attachments[0].description == "编辑时写的 set in an edit"


# Timelines


def test_home_timeline_has_my_posts_and_those_of_whom_i_follow(cast: Cast) -> None:
    w = words()
    mine = cast.bob.api.status_post(f"鲍勃的动态 {w}")
    followed = cast.alice.api.status_post(f"爱丽丝的动态 {w}")
    stranger = cast.carol.api.status_post(f"卡罗尔的动态 {w}")
    home = ids(cast.bob.api.timeline_home(limit=40))
    assert str(mine.id) in home and str(followed.id) in home
    assert str(stranger.id) not in home


def test_public_timeline_has_everyones_public_posts(cast: Cast) -> None:
    w = words()
    made = [
        cast.alice.api.status_post(f"公开 {w}"),
        cast.carol.api.status_post(f"public {w}"),
    ]
    for reader in (cast.bob.api, Mastodon(api_base_url=cast.server.base)):
        shown = ids(reader.timeline_public(limit=40))
        assert {str(s.id) for s in made} <= set(shown)
    assert cast.bob.api.timeline_public(remote=True) == []


def test_tag_timelines_for_chinese_and_english_topics(cast: Cast) -> None:
    w = words()
    zh = f"话题{w}"
    status = cast.alice.api.status_post(f"今天天气很好 #{zh}# and a #sunny{w} day")
    assert tag_names(status) == {zh.lower(), f"sunny{w}"}
    for name in (zh, f"sunny{w}", f"SUNNY{w}"):
        assert ids(cast.bob.api.timeline_hashtag(name)) == [str(status.id)], name
    assert ids(Mastodon(api_base_url=cast.server.base).timeline_hashtag(zh)) == [str(status.id)]
    assert cast.bob.api.timeline_hashtag(f"unused{w}") == []
    assert cast.bob.api.tag(zh).name.lower() == zh.lower()


# Follow, favourite, reblog, reply, context, notifications


def test_follow_shows_in_relationships_lists_and_the_followed_persons_notifications(
    cast: Cast,
) -> None:
    carol, bob = cast.carol, cast.bob
    rel = carol.api.account_follow(bob.id)
    try:
        assert rel.following is True
        [seen] = carol.api.account_relationships(bob.id)
        assert (seen.following, seen.followed_by) == (True, False)
        [back] = bob.api.account_relationships(carol.id)
        assert (back.following, back.followed_by) == (False, True)
        assert carol.id in ids(bob.api.account_followers(bob.id))
        assert bob.id in ids(carol.api.account_following(carol.id))
        follows = bob.api.notifications(types=["follow"])
        assert any(n.type == "follow" and str(n.account.id) == carol.id for n in follows)
    finally:
        carol.api.account_unfollow(bob.id)
    assert carol.api.account_relationships(bob.id)[0].following is False


def test_favourite_reblog_and_reply_show_on_the_status_and_in_context(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    post = alice.api.status_post("一起来讨论 let's discuss")
    liked = bob.api.status_favourite(post.id)
    assert (liked.favourited, liked.favourites_count) == (True, 1)
    boost = bob.api.status_reblog(post.id)
    assert str(boost.reblog.id) == str(post.id)
    assert str(boost.account.id) == bob.id
    assert str(bob.api.status_reblog(post.id).id) == str(boost.id)  # twice: the first reblog
    assert str(bob.api.status_reblog(boost.id).id) == str(boost.id)  # a boost is its original
    again = bob.api.status_favourite(boost.id)
    assert (str(again.id), again.favourites_count) == (str(post.id), 1)
    assert bob.api.status(post.id).reblogged is True
    assert bob.id in ids(alice.api.status_reblogged_by(post.id))
    assert bob.id in ids(alice.api.status_favourited_by(post.id))
    assert str(boost.id) in ids(bob.api.timeline_home(limit=40))
    [shown] = [s for s in bob.api.account_statuses(bob.id, limit=40) if s.id == boost.id]
    assert str(shown.reblog.id) == str(post.id)

    reply = bob.api.status_post("我同意 I agree", in_reply_to_id=post.id)
    assert (str(reply.in_reply_to_id), str(reply.in_reply_to_account_id)) == (
        str(post.id),
        alice.id,
    )
    answer = alice.api.status_reply(reply, "谢谢 thanks")
    assert str(answer.in_reply_to_id) == str(reply.id)
    other = bob.api.status_post("另一个想法 another thought", in_reply_to_id=post.id)

    around_post = alice.api.status_context(post.id)
    assert around_post.ancestors == []
    assert ids(around_post.descendants) == [str(reply.id), str(answer.id), str(other.id)]
    around_answer = bob.api.status_context(answer.id)
    assert ids(around_answer.ancestors) == [str(post.id), str(reply.id)]
    assert around_answer.descendants == []
    around_reply = alice.api.status_context(reply.id)
    assert ids(around_reply.ancestors) == [str(post.id)]
    assert ids(around_reply.descendants) == [str(answer.id)]
    assert alice.api.status(post.id).replies_count == 3

    undone = bob.api.status_unfavourite(post.id)
    assert (undone.favourited, undone.favourites_count) == (False, 0)
    bob.api.status_unreblog(post.id)
    assert bob.api.status(post.id).reblogged is False


def test_favourites_lists_what_i_liked_latest_first_in_pages(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    cast.server.create_user("dave", "大卫 Dave")
    dave = log_in(cast.server, "dave")
    try:
        first = alice.api.status_post("第一条 first")
        comment = bob.api.status_post("评论 a comment", in_reply_to_id=first.id)
        second = alice.api.status_post("第二条 second")
        hidden = alice.api.status_post("只给粉丝 followers only", visibility="private")
        assert cast.http("POST", f"/api/v1/statuses/{hidden.id}/favourite", dave).status_code == 404
        for status in (first, comment, second):
            dave.api.status_favourite(status.id)
        assert dave.api.status(first.id).favourited is True

        page = dave.api.favourites(limit=2)
        assert ids(page) == [str(second.id), str(comment.id)]
        assert all(s.favourited for s in page)
        assert str(page[1].in_reply_to_id) == str(first.id)  # the comment, as a reply
        rest = dave.api.fetch_next(page)
        assert rest is not None and ids(rest) == [str(first.id)]
        assert dave.api.fetch_next(rest) is None
        assert ids(alice.api.favourites()) == []  # each sees their own

        alice.api.status_delete(second.id)
        dave.api.status_unfavourite(first.id)
        assert ids(dave.api.favourites()) == [str(comment.id)]
    finally:
        dave.native.close()


def test_notifications_of_mention_favourite_reblog_and_follow(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    post = alice.api.status_post("通知测试 notify me")
    bob.api.status_favourite(post.id)
    bob.api.status_reblog(post.id)
    reply = bob.api.status_post("回复 a reply", in_reply_to_id=post.id)
    mention = bob.api.status_post("@alice 你看 look")

    got = alice.api.notifications(limit=40)
    about = {(n.type, str(n.status.id) if n.status else None) for n in got}
    assert ("favourite", str(post.id)) in about
    assert ("reblog", str(post.id)) in about
    assert ("mention", str(reply.id)) in about
    assert ("mention", str(mention.id)) in about
    assert any(n.type == "follow" and str(n.account.id) == bob.id for n in got)  # the fixture's

    only = alice.api.notifications(types=["favourite"], limit=40)
    assert {n.type for n in only} == {"favourite"}
    without = alice.api.notifications(exclude_types=["mention", "follow"], limit=40)
    assert {n.type for n in without} <= {"favourite", "reblog"}
    one = alice.api.notifications(id=only[0].id)
    assert one.id == only[0].id


# Pagination


def read_timeline(cast: Cast, kind: str, tag: str, **window: Any) -> Any:
    """A timeline as bob reads it (alice, whom he follows, made the posts)."""
    api = cast.bob.api
    if kind == "home":
        return api.timeline_home(**window)
    if kind == "public":
        return api.timeline_public(**window)
    if kind == "account":
        return api.account_statuses(cast.alice.id, **window)
    return api.timeline_hashtag(tag, **window)


@pytest.mark.parametrize("kind", ["tag", "home", "public", "account"])
def test_pagination_by_link_headers_and_max_id_min_id_since_id(cast: Cast, kind: str) -> None:
    """Seven new posts, read three at a time: older ones may follow in the other timelines,
    newer ones may not (each test makes its posts in turn)."""
    w = words()
    made = [str(cast.alice.api.status_post(f"第{i}条 number {i} #{w}").id) for i in range(7)]
    newest_first = list(reversed(made))
    api = cast.bob.api

    first = read_timeline(cast, kind, w, limit=3)
    assert ids(first) == newest_first[:3]
    second = api.fetch_next(first)
    assert second is not None and ids(second) == newest_first[3:6]
    third = api.fetch_next(second)
    assert third is not None and ids(third)[:1] == [made[0]]
    if kind == "tag":
        assert ids(third) == [made[0]]
        assert api.fetch_next(third) is None  # no next page past the oldest
    back = api.fetch_previous(third)
    assert back is not None and ids(back) == newest_first[3:6]

    # max_id: older than it, newest first
    assert ids(read_timeline(cast, kind, w, max_id=made[4], limit=2)) == [made[3], made[2]]
    # min_id: the ones right after it (no gap), newest first
    assert ids(read_timeline(cast, kind, w, min_id=made[1], limit=2)) == [made[3], made[2]]
    # since_id: the newest ones after it, newest first
    assert ids(read_timeline(cast, kind, w, since_id=made[1], limit=2)) == [made[6], made[5]]
    # all that is newer than the newest: nothing
    assert read_timeline(cast, kind, w, min_id=made[6]) == []

    if kind == "tag":
        raw = cast.http("GET", f"/api/v1/timelines/tag/{w}", cast.bob, params={"limit": 3})
        links = raw.headers["Link"]
        assert f"max_id={made[4]}" in links and 'rel="next"' in links
        assert f"min_id={made[6]}" in links and 'rel="prev"' in links


# Delete, edit, idempotency


def test_delete_answers_with_the_deleted_status_and_its_text(cast: Cast) -> None:
    text = "要删除的动态 to be deleted #删除#"
    status = cast.alice.api.status_post(text)
    gone = cast.alice.api.status_delete(status.id)
    assert str(gone.id) == str(status.id)
    assert gone.text == text
    with pytest.raises(MastodonNotFoundError):
        cast.alice.api.status(status.id)


def test_only_the_author_may_delete_a_status(cast: Cast) -> None:
    status = cast.alice.api.status_post("别人删不掉 others cannot delete this")
    with pytest.raises(MastodonAPIError):
        cast.bob.api.status_delete(status.id)
    assert str(cast.bob.api.status(status.id).id) == str(status.id)


def test_edit_keeps_the_history(cast: Cast) -> None:
    api = cast.alice.api
    status = api.status_post("第一版 first version")
    assert status.edited_at is None
    edited = api.status_update(status.id, "第二版 second version")
    assert "第二版" in edited.content and edited.edited_at is not None
    api.status_update(status.id, "第三版 third version")
    history = api.status_history(status.id)
    assert [
        ("第一版" in v.content, "第二版" in v.content, "第三版" in v.content) for v in history
    ] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert api.status_source(status.id).text == "第三版 third version"
    assert "第三版" in cast.bob.api.status(status.id).content
    with pytest.raises(MastodonAPIError):
        cast.bob.api.status_update(status.id, "不是我的 not mine")


def test_idempotency_key_makes_the_same_status_once(cast: Cast) -> None:
    key = f"key-{words()}"
    w = words()
    first = cast.alice.api.status_post(f"只发一次 once {w}", idempotency_key=key)
    again = cast.alice.api.status_post(f"只发一次 once {w}", idempotency_key=key)
    assert str(first.id) == str(again.id)
    mine = cast.alice.api.account_statuses(cast.alice.id, limit=40)
    assert [s for s in mine if w in s.content] != []
    assert len([s for s in mine if w in s.content]) == 1


# Accounts


def test_an_account_without_a_picture_shows_images_that_exist(cast: Cast) -> None:
    """Clients draw `avatar` and `header` for every account: when someone has set no picture,
    the server's default images answer, as PNG."""
    alice = cast.bob.api.account(cast.alice.id)
    for url in (alice.avatar, alice.avatar_static, alice.header, alice.header_static):
        r = httpx.get(url)
        assert (r.status_code, r.headers["content-type"]) == (200, "image/png"), url


def test_update_credentials_changes_name_note_and_avatar(cast: Cast) -> None:
    api = cast.carol.api
    avatar = encode(picture((96, 96)), "PNG")
    me = api.account_update_credentials(
        display_name="卡罗尔 C.",
        note="你好，我喜欢 #摄影# and hiking",
        avatar=avatar,
        avatar_mime_type="image/png",
    )
    assert me.display_name == "卡罗尔 C."
    assert me.source.note == "你好，我喜欢 #摄影# and hiking"
    assert "hiking" in me.note
    assert "/static/" not in me.avatar
    assert image_view(me.avatar).status_code == 200
    seen = cast.bob.api.account(cast.carol.id)
    assert (seen.display_name, seen.avatar) == ("卡罗尔 C.", me.avatar)
    replaced = api.account_update_credentials(avatar=avatar, avatar_mime_type="image/png")
    assert image_view(replaced.avatar).status_code == 200
    assert_gone(cast, me.avatar)  # the picture it replaced


def test_account_lookup_statuses_and_follow_lists(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    found = bob.api.account_lookup("alice")
    assert str(found.id) == alice.id
    assert found.display_name == "爱丽丝 Alice"
    with pytest.raises(MastodonNotFoundError):
        bob.api.account_lookup("nobody-here")
    post = alice.api.status_post("我的主页 my profile")
    statuses = bob.api.account_statuses(alice.id, limit=5)
    assert str(statuses[0].id) == str(post.id)
    assert all(str(s.account.id) == alice.id for s in statuses)
    assert bob.api.account(alice.id).statuses_count >= 1
    assert bob.id in ids(bob.api.account_followers(alice.id))
    assert alice.id in ids(bob.api.account_following(bob.id))
    [rel] = alice.api.account_relationships(bob.id)
    assert (rel.following, rel.followed_by, rel.blocking) == (False, True, False)


def test_account_search_and_search_v2_in_chinese_and_english(cast: Cast) -> None:
    w = words()
    api = cast.bob.api
    assert cast.alice.id in ids(api.account_search("alice"))
    assert cast.alice.id in ids(api.account_search("爱丽丝"))
    zh = cast.alice.api.status_post(f"学习中文很有意思 {w}")
    en = cast.alice.api.status_post(f"learning Chinese is fun {w}")
    found = api.search_v2(w)
    assert {str(zh.id), str(en.id)} <= set(ids(found.statuses))
    assert str(zh.id) in ids(api.search_v2("中文很有意思", result_type="statuses").statuses)
    assert str(en.id) in ids(api.search_v2(f"Chinese {w}", result_type="statuses").statuses)
    people = api.search_v2("爱丽丝", result_type="accounts")
    assert ids(people.accounts)[:1] == [cast.alice.id]
    cast.alice.api.status_post(f"#搜索{w}# 标签")
    assert f"搜索{w}" in [
        t.name for t in api.search_v2(f"#搜索{w}", result_type="hashtags").hashtags
    ]


def test_search_v2_finds_replies_by_stems_and_the_word_being_typed(cast: Cast) -> None:
    """A comment is a reply, so search finds it among the statuses, as it finds posts."""
    w = words()
    api = cast.carol.api
    post = cast.alice.api.status_post(f"一个问题 a question {w}")
    reply = cast.bob.api.status_post(f"jumping foxes {w}", in_reply_to_id=post.id)
    found = api.search_v2(f"{w} fox", result_type="statuses").statuses
    assert ids(found) == [str(reply.id)]
    assert str(found[0].in_reply_to_id) == str(post.id)
    assert ids(api.search_v2(f"{w} jum", result_type="statuses").statuses) == [str(reply.id)]
    both = api.search_v2(w, result_type="statuses").statuses
    assert sorted(ids(both)) == sorted([str(post.id), str(reply.id)])
    second = api.search_v2(w, result_type="statuses", limit=1, offset=1).statuses
    assert ids(second) == ids(both)[1:]


# Instance and the things quanzi does not have


def test_instance_emojis_filters_and_lists_succeed(cast: Cast) -> None:
    api = cast.alice.api
    v1 = api.instance_v1()
    assert v1.version.startswith("4.")
    assert v1.uri == cast.server.base.removeprefix("http://")
    v2 = api.instance_v2()
    assert v2.domain == v1.uri
    assert "image/jpeg" in v2.configuration.media_attachments.supported_mime_types
    assert api.custom_emojis() == []
    assert api.filters() == []
    assert api.lists() == []
    for path in ("/api/v2/filters", "/api/v1/lists", "/api/v1/custom_emojis"):
        r = cast.http("GET", path, cast.alice)
        assert (r.status_code, r.json()) == (200, []), path


# Errors and rate limits


def test_errors_are_mastodon_errors_with_their_status(cast: Cast) -> None:
    missing = cast.http("GET", "/api/v1/statuses/123456789", cast.alice)
    assert missing.status_code == 404
    assert set(missing.json()) <= {"error", "error_description"} and missing.json()["error"]
    assert cast.http("GET", "/api/v1/statuses/not-an-id", cast.alice).status_code == 404
    with pytest.raises(MastodonNotFoundError):
        cast.alice.api.status(123456789)
    no_token = cast.http("GET", "/api/v1/timelines/home")
    assert no_token.status_code == 401 and no_token.json()["error"]
    bad = cast.http("POST", "/api/v1/statuses", cast.alice, data={"status": "x", "visibility": "?"})
    assert bad.status_code == 422 and bad.json()["error"]
    for path in (
        "/api/v2/search?q=x&limit=many",
        "/api/v1/timelines/public?limit=many",
        "/api/v1/accounts/search?q=a&limit=many",
    ):
        r = cast.http("GET", path, cast.alice)
        assert r.status_code in (400, 422) and r.json()["error"], path


def test_authenticated_calls_tell_the_rate_limit(cast: Cast) -> None:
    r = cast.http("GET", "/api/v1/timelines/home", cast.alice)
    assert r.status_code == 200
    limit = int(r.headers["X-RateLimit-Limit"])
    remaining = int(r.headers["X-RateLimit-Remaining"])
    assert 0 <= remaining < limit
    assert r.headers["X-RateLimit-Reset"]
    again = cast.http("GET", "/api/v1/timelines/home", cast.alice)
    assert int(again.headers["X-RateLimit-Remaining"]) < remaining
    assert cast.alice.api.ratelimit_limit == limit  # Mastodon.py read them as well


# Visibility: followers-only posts, Moments and chats


@dataclass
class Hidden:
    """A followers-only post of alice's, what bob (who follows her) did with it, and what
    carol (who does not) must never see."""

    post: Any
    reply: Any
    answer: Any
    word: str
    zh_tag: str
    en_tag: str


@pytest.fixture(scope="module")
def hidden(cast: Cast) -> Hidden:
    w = words()
    zh_tag, en_tag = f"私密{w}", f"secret{w}"
    alice, bob, carol = cast.alice, cast.bob, cast.carol
    # carol follows alice when she is mentioned (so she is told), then stops following her:
    # the notification stays, the post is no longer hers to see.
    carol.api.account_follow(alice.id)
    post = alice.api.status_post(
        f"只给关注者看 followers only {w} #{zh_tag}# #{en_tag} @carol", visibility="private"
    )
    carol.api.account_unfollow(alice.id)
    assert post.visibility == "private"
    bob.api.status_favourite(post.id)
    reply = bob.api.status_post(f"@carol 你看不到 {w}", in_reply_to_id=post.id)
    answer = alice.api.status_post(f"@carol 回复 {w}", in_reply_to_id=reply.id)
    return Hidden(post, reply, answer, w, zh_tag, en_tag)


class TestFollowersOnlyPostIsInvisibleToNonFollowers:
    """visibility=private (followers-only) through every Mastodon endpoint: bob, a follower,
    sees it (so the rest is no accident); carol, who does not follow alice, and anyone
    without a token see nothing of it, nor of the comments under it."""

    def readers(self, cast: Cast) -> list[Mastodon]:
        return [cast.carol.api, Mastodon(api_base_url=cast.server.base)]

    def test_follower_sees_it(self, cast: Cast, hidden: Hidden) -> None:
        api = cast.bob.api
        assert api.status(hidden.post.id).visibility == "private"
        assert str(hidden.post.id) in ids(api.timeline_home(limit=40))
        assert ids(api.timeline_hashtag(hidden.zh_tag)) == [str(hidden.post.id)]
        assert str(hidden.post.id) in ids(api.account_statuses(cast.alice.id, limit=40))
        assert str(hidden.post.id) in ids(api.search_v2(hidden.word).statuses)
        assert ids(api.status_context(hidden.post.id).descendants) == [
            str(hidden.reply.id),
            str(hidden.answer.id),
        ]

    def test_get_status_and_its_replies_is_404(self, cast: Cast, hidden: Hidden) -> None:
        for api in self.readers(cast):
            for status in (hidden.post, hidden.reply, hidden.answer):
                with pytest.raises(MastodonNotFoundError):
                    api.status(status.id)
        for status in (hidden.post, hidden.reply):
            r = cast.http("GET", f"/api/v1/statuses/{status.id}", cast.carol)
            assert r.status_code == 404 and r.json()["error"]

    def test_context_history_and_who_favourited_are_404(self, cast: Cast, hidden: Hidden) -> None:
        for api in self.readers(cast):
            for call in (
                api.status_context,
                api.status_history,
                api.status_favourited_by,
                api.status_reblogged_by,
            ):
                with pytest.raises(MastodonNotFoundError):
                    call(hidden.post.id)
            with pytest.raises(MastodonNotFoundError):
                api.status_context(hidden.reply.id)

    def test_favourite_reblog_and_reply_are_404(self, cast: Cast, hidden: Hidden) -> None:
        api = cast.carol.api
        for status in (hidden.post, hidden.reply):
            for call in (api.status_favourite, api.status_reblog, api.status_unfavourite):
                with pytest.raises(MastodonNotFoundError):
                    call(status.id)
        with pytest.raises(MastodonNotFoundError):
            api.status_post("偷看 peeking", in_reply_to_id=hidden.post.id)
        with pytest.raises(MastodonNotFoundError):
            api.status_source(hidden.post.id)
        assert cast.bob.api.status(hidden.post.id).favourites_count == 1

    def test_not_in_any_timeline(self, cast: Cast, hidden: Hidden) -> None:
        shown: list[Any] = [*cast.carol.api.timeline_home(limit=40)]
        for api in self.readers(cast):
            shown += api.timeline_public(limit=40)
            shown += api.timeline_hashtag(hidden.zh_tag)
            shown += api.timeline_hashtag(hidden.en_tag)
            shown += api.account_statuses(cast.alice.id, limit=40)
            shown += api.account_statuses(cast.bob.id, limit=40)
        assert hidden.word not in str(shown)

    def test_not_found_by_search(self, cast: Cast, hidden: Hidden) -> None:
        for api in self.readers(cast):
            for q in (hidden.word, f"#{hidden.zh_tag}", "只给关注者看"):
                found = api.search_v2(q)
                assert hidden.word not in str(found.statuses), q

    def test_its_tags_are_not_found_by_search(self, cast: Cast, hidden: Hidden) -> None:
        for api in self.readers(cast):
            for tag in (hidden.zh_tag, hidden.en_tag):
                found = api.search_v2(f"#{tag}", result_type="hashtags")
                assert hidden.word not in str(found.hashtags), tag

    def test_no_notification_tells_of_it(self, cast: Cast, hidden: Hidden) -> None:
        """carol was told of the mention while she followed alice (the native list still has
        it); now that she does not, no Mastodon notification shows the post."""
        native = cast.carol.native.get("/notifications", params={"limit": 100}).json()["items"]
        told = [n for n in native if n["kind"] == "mention" and n["actor_id"] == cast.alice.id]
        assert str(hidden.post.id) in str(told)
        got = cast.carol.api.notifications(limit=40)
        assert hidden.word not in str(got)
        assert str(hidden.post.id) not in {str(n.status.id) for n in got if n.status}
        for n in told:
            with pytest.raises(MastodonNotFoundError):
                cast.carol.api.notifications(id=n["id"])
        r = cast.http("GET", "/api/v1/notifications", cast.carol, params={"limit": 40})
        assert r.status_code == 200 and hidden.word not in r.text


def test_direct_status_is_seen_by_the_mentioned_only(cast: Cast) -> None:
    w = words()
    status = cast.alice.api.status_post(f"@carol 悄悄话 a secret {w}", visibility="direct")
    assert status.visibility == "direct"
    assert f"{w}" in cast.carol.api.status(status.id).content
    with pytest.raises(MastodonNotFoundError):
        cast.bob.api.status(status.id)  # bob follows alice, but is not mentioned
    assert w not in str(cast.bob.api.timeline_home(limit=40))
    assert w not in str(cast.bob.api.search_v2(w))


def test_unlisted_becomes_followers_only(cast: Cast) -> None:
    status = cast.alice.api.status_post("不公开 unlisted", visibility="unlisted")
    assert status.visibility == "private"
    with pytest.raises(MastodonNotFoundError):
        cast.carol.api.status(status.id)


@dataclass
class Private:
    """What alice and bob said where Mastodon clients must not look: a Moment, its like and
    comment, a direct chat and an @-mention in a group chat."""

    word: str
    moment_id: str
    comment_id: str
    message_ids: list[str]


@pytest.fixture(scope="module")
def private(cast: Cast) -> Private:
    w = words()
    alice, bob, carol = cast.alice.native, cast.bob.native, cast.carol.native
    for asker, other in ((alice, cast.bob), (alice, cast.carol)):
        sent = asker.post("/friend-requests", json={"account_id": other.id, "greeting": "hi"})
        assert sent.status_code == 201, sent.text
        if not sent.json()["friends"]:
            request_id = sent.json()["request"]["id"]
            accepted = other.native.post(f"/friend-requests/{request_id}/accept", json={})
            assert accepted.status_code == 200, accepted.text
    moment = alice.post("/moments", json={"text": f"朋友圈 moment {w} #朋友圈话题{w}# @bob"})
    assert moment.status_code == 201, moment.text
    moment_id = moment.json()["id"]
    assert bob.post(f"/moments/{moment_id}/like").status_code == 200
    comment = bob.post(f"/moments/{moment_id}/comments", json={"text": f"赞 nice {w}"})
    assert comment.status_code == 201, comment.text

    direct = alice.post("/conversations/direct", json={"account_id": cast.bob.id})
    assert direct.status_code == 200, direct.text
    said = alice.post(
        f"/conversations/{direct.json()['id']}/messages",
        json={"client_msg_id": f"d{w}", "text": f"私聊 chat {w}"},
    )
    assert said.status_code == 201, said.text
    group = alice.post(
        "/conversations/group",
        json={"name": f"群聊{w}", "member_ids": [cast.bob.id, cast.carol.id]},
    )
    assert group.status_code == 201, group.text
    mention = alice.post(
        f"/conversations/{group.json()['id']}/messages",
        json={"client_msg_id": f"g{w}", "text": f"@bob 群聊 group {w}", "mentions": [cast.bob.id]},
    )
    assert mention.status_code == 201, mention.text
    assert carol.get("/moments").status_code == 200
    return Private(
        w, str(moment_id), str(comment.json()["id"]), [said.json()["id"], mention.json()["id"]]
    )


class TestMomentsAndChatsNeverReachMastodonClients:
    """Moments (friends-only) and chats are not the square: no Mastodon endpoint shows them,
    even to the friends and members who may read them natively."""

    def test_friends_see_them_natively(self, cast: Cast, private: Private) -> None:
        feed = cast.bob.native.get("/moments").json()
        assert private.word in str(feed)
        notes = cast.bob.native.get("/notifications").json()
        assert any(n["kind"] == "chat_mention" for n in notes["items"])

    def test_no_status_endpoint_names_them(self, cast: Cast, private: Private) -> None:
        for person in (cast.alice, cast.bob):
            for ident in (private.moment_id, private.comment_id, *private.message_ids):
                for call in (
                    person.api.status,
                    person.api.status_context,
                    person.api.status_favourite,
                    person.api.status_reblog,
                ):
                    with pytest.raises(MastodonNotFoundError):
                        call(ident)

    def test_not_in_timelines_search_or_conversations(self, cast: Cast, private: Private) -> None:
        for person in (cast.alice, cast.bob):
            api = person.api
            shown: list[Any] = [
                *api.timeline_home(limit=40),
                *api.timeline_public(limit=40),
                *api.timeline_hashtag(f"朋友圈话题{private.word}"),
                *api.account_statuses(cast.alice.id, limit=40),
                *api.account_statuses(cast.bob.id, limit=40),
                *api.conversations(),
            ]
            found = api.search_v2(private.word)
            assert private.word not in str(shown)
            assert private.word not in str(found)

    def test_not_in_notifications(self, cast: Cast, private: Private) -> None:
        for person in (cast.alice, cast.bob, cast.carol):
            r = cast.http("GET", "/api/v1/notifications", person, params={"limit": 40})
            assert r.status_code == 200, r.text
            assert private.word not in r.text
            assert not {private.moment_id, private.comment_id, *private.message_ids} & {
                str(n["status"]["id"]) for n in r.json() if n["status"]
            }
