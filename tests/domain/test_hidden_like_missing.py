"""Hidden answers as missing does, byte for byte, in both doors: an object the caller may not
see (a comment under a post hidden from them, deleted, or between blocked accounts; a Moment's
comment by a non-friend; a message of a chat they are not in; a friend request or an account
of someone who blocked them) gets the same status and the same body as an id that names
nothing. Each object type has one not-found, whatever hides it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from quanzi.kit.ids import new_id
from tests.helpers import Personas, User, encode, picture

NATIVE = "/api/quanzi/v1"
MASTODON = "/api/v1/statuses"


class Person:
    def __init__(self, client: httpx.AsyncClient, user: User | None) -> None:
        self.c = client
        self.user = user

    @property
    def id(self) -> str:
        assert self.user is not None
        return self.user.id

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """`path` is absolute (either door); native paths may leave out their prefix."""
        if not path.startswith(("/api/", "/media/")):
            path = NATIVE + path
        headers = self.user.auth if self.user is not None else {}
        return await self.c.request(method, path, headers=headers, **kw)

    async def made(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        r = await self.call(method, path, **kw)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    async def ok(self, method: str, path: str, **kw: Any) -> None:
        r = await self.call(method, path, **kw)
        assert r.status_code < 300, r.text

    async def befriend(self, other: Person) -> None:
        sent = await self.made(
            "POST", "/friend-requests", json={"account_id": other.id, "greeting": "hi"}
        )
        if not sent["friends"]:
            await other.made("POST", f"/friend-requests/{sent['request']['id']}/accept", json={})


Call = Callable[[str], Awaitable[httpx.Response]]


async def assert_hidden_like_missing(call: Call, hidden_id: str, what: str = "") -> None:
    """The answer for `hidden_id` is the answer for an id that names nothing: the same status
    and the same body bytes (not merely an equal JSON value)."""
    hidden = await call(hidden_id)
    missing = await call(str(new_id()))
    assert hidden.status_code >= 400, f"{what}: {hidden.status_code} {hidden.text}"
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content), what


def route(who: Person, method: str, template: str, **kw: Any) -> tuple[str, Call]:
    """A call of `template` with `{id}` filled in (in the path or in the JSON / form body)."""

    def fill(value: Any, ident: str) -> Any:
        if isinstance(value, str):
            return value.replace("{id}", ident)
        if isinstance(value, dict):
            return {k: fill(v, ident) for k, v in value.items()}
        return value

    async def call(ident: str) -> httpx.Response:
        return await who.call(method, fill(template, ident), **fill(kw, ident))

    return f"{method} {template}", call


async def assert_every_route_alike(routes: list[tuple[str, Call]], hidden_id: str) -> None:
    for what, call in routes:
        await assert_hidden_like_missing(call, hidden_id, what)


def comment_routes(who: Person, post_id: str | None = None) -> list[tuple[str, Call]]:
    """Every route of both doors that names a comment of the square (a Mastodon status id may
    name a comment), as `who` calls it."""
    routes = [
        route(who, "GET", "/comments/{id}/replies"),
        route(who, "GET", MASTODON + "/{id}"),
        route(who, "GET", MASTODON + "/{id}/context"),
        route(who, "GET", MASTODON + "/{id}/history"),
        route(who, "GET", MASTODON + "/{id}/favourited_by"),
        route(who, "GET", MASTODON + "/{id}/reblogged_by"),
    ]
    if who.user is None:
        return routes
    routes += [
        route(who, "POST", "/comments/{id}/like"),
        route(who, "DELETE", "/comments/{id}/like"),
        route(who, "DELETE", "/comments/{id}"),
        route(who, "GET", MASTODON + "/{id}/source"),
        route(who, "POST", MASTODON + "/{id}/favourite"),
        route(who, "POST", MASTODON + "/{id}/unfavourite"),
        route(who, "POST", MASTODON + "/{id}/reblog"),
        route(who, "POST", MASTODON + "/{id}/unreblog"),
        route(who, "PUT", MASTODON + "/{id}", data={"status": "edited"}),
        route(who, "DELETE", MASTODON + "/{id}"),
        route(who, "POST", MASTODON, data={"status": "a reply", "in_reply_to_id": "{id}"}),
    ]
    if post_id is not None:  # replying under the comment's own post, which they may see
        routes.append(
            route(
                who,
                "POST",
                f"/posts/{post_id}/comments",
                json={"text": "a reply", "reply_to_id": "{id}"},
            )
        )
    return routes


@pytest.fixture
async def cast(people: Personas) -> dict[str, Person]:
    names = ["author", "follower", "stranger", "commenter"]
    found = {n: Person(people.client, await people.register(n)) for n in names}
    found["anonymous"] = Person(people.client, None)
    return found


# The square: comments


async def test_comment_under_a_followers_only_post_looks_missing_to_a_stranger(
    cast: dict[str, Person],
) -> None:
    author, follower, stranger = cast["author"], cast["follower"], cast["stranger"]
    await follower.ok("POST", f"/accounts/{author.id}/follow")
    post = await author.made(
        "POST", "/posts", json={"text": "for followers", "visibility": "followers"}
    )
    comment = await follower.made("POST", f"/posts/{post['id']}/comments", json={"text": "seen"})
    reply = await author.made(
        "POST", f"/posts/{post['id']}/comments", json={"text": "yes", "reply_to_id": comment["id"]}
    )
    for who in (stranger, cast["anonymous"]):
        await assert_every_route_alike(comment_routes(who), comment["id"])
        await assert_every_route_alike(comment_routes(who), reply["id"])
    # The follower still sees the thread.
    replies = await follower.made("GET", f"/comments/{comment['id']}/replies")
    assert [r["id"] for r in replies["items"]] == [reply["id"]]


async def test_comment_under_a_deleted_post_looks_missing_even_to_its_author(
    cast: dict[str, Person],
) -> None:
    author, commenter = cast["author"], cast["commenter"]
    post = await author.made("POST", "/posts", json={"text": "soon gone"})
    comment = await commenter.made("POST", f"/posts/{post['id']}/comments", json={"text": "hi"})
    await author.ok("DELETE", f"/posts/{post['id']}")
    for who in (commenter, author, cast["stranger"], cast["anonymous"]):
        await assert_every_route_alike(comment_routes(who), comment["id"])


async def test_comment_by_someone_who_blocked_the_viewer_looks_missing(
    cast: dict[str, Person],
) -> None:
    author, commenter, stranger = cast["author"], cast["commenter"], cast["stranger"]
    post = await author.made("POST", "/posts", json={"text": "public"})
    comment = await commenter.made("POST", f"/posts/{post['id']}/comments", json={"text": "mine"})
    await commenter.ok("PUT", f"/blocks/{stranger.id}")
    await assert_every_route_alike(comment_routes(stranger, post["id"]), comment["id"])
    seen = await stranger.made("GET", f"/posts/{post['id']}/comments")  # the post stays visible
    assert seen["items"] == []


async def test_comment_under_a_post_whose_author_blocked_the_viewer_looks_missing(
    cast: dict[str, Person],
) -> None:
    author, commenter, stranger = cast["author"], cast["commenter"], cast["stranger"]
    post = await author.made("POST", "/posts", json={"text": "public, then not for one"})
    comment = await commenter.made("POST", f"/posts/{post['id']}/comments", json={"text": "x"})
    await author.ok("PUT", f"/blocks/{stranger.id}")
    await assert_every_route_alike(comment_routes(stranger), comment["id"])


# Moments


async def test_moment_comment_by_a_non_friend_looks_missing(people: Personas) -> None:
    author, friend, other, stranger = [
        Person(people.client, await people.register(n))
        for n in ("poster", "friend", "other", "outsider")
    ]
    await author.befriend(friend)
    await author.befriend(other)  # friend and other are no friends of each other
    moment = await author.made("POST", "/moments", json={"text": "周末"})
    mid = moment["id"]
    comment = await friend.made("POST", f"/moments/{mid}/comments", json={"text": "好看"})
    await assert_every_route_alike(
        [
            route(
                other,
                "POST",
                f"/moments/{mid}/comments",
                json={"text": "re", "reply_to_id": "{id}"},
            ),
            route(other, "DELETE", f"/moments/{mid}/comments/{{id}}"),
        ],
        comment["id"],
    )
    await assert_every_route_alike(
        [
            route(stranger, "GET", "/moments/{id}"),
            route(stranger, "POST", "/moments/{id}/like"),
            route(stranger, "DELETE", "/moments/{id}/like"),
            route(stranger, "POST", "/moments/{id}/comments", json={"text": "hi"}),
            route(stranger, "DELETE", "/moments/{id}"),
        ],
        mid,
    )


# Chats


async def test_a_message_in_a_conversation_one_is_not_in_looks_missing(people: Personas) -> None:
    owner, member, late, outsider = [
        Person(people.client, await people.register(n))
        for n in ("owner", "member", "latecomer", "outsider")
    ]
    await owner.befriend(member)
    await owner.befriend(late)
    group = await owner.made(
        "POST", "/conversations/group", json={"name": "群", "member_ids": [member.id]}
    )
    gid = group["id"]
    await owner.made(
        "POST", f"/conversations/{gid}/messages", json={"client_msg_id": "a", "text": "早"}
    )
    await owner.made("POST", f"/conversations/{gid}/members", json={"account_ids": [late.id]})
    # A message from before one joined looks like one that was never sent.
    first = route(late, "POST", f"/conversations/{gid}/messages/{{id}}/recall")
    hidden, missing = await first[1]("1"), await first[1]("99999")
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
    # A conversation one is not in looks like none at all.
    await assert_every_route_alike(
        [
            route(outsider, "GET", "/conversations/{id}"),
            route(outsider, "GET", "/conversations/{id}/messages"),
            route(outsider, "GET", "/conversations/{id}/members"),
            route(outsider, "POST", "/conversations/{id}/messages/1/recall"),
            route(outsider, "POST", "/conversations/{id}/read", json={"seq": 1}),
            route(outsider, "PATCH", "/conversations/{id}/me", json={"muted": True}),
            route(outsider, "POST", "/conversations/{id}/leave"),
            route(outsider, "PATCH", "/conversations/{id}", json={"name": "mine"}),
            route(outsider, "DELETE", "/conversations/{id}"),
            route(
                outsider, "POST", "/conversations/{id}/members", json={"account_ids": [member.id]}
            ),
            route(
                outsider,
                "POST",
                "/conversations/{id}/messages",
                json={"client_msg_id": "b", "text": "hi"},
            ),
        ],
        gid,
    )


# Contacts


async def test_a_friend_request_from_someone_who_blocked_me_looks_missing(
    cast: dict[str, Person],
) -> None:
    asker, asked = cast["commenter"], cast["stranger"]
    sent = await asker.made(
        "POST", "/friend-requests", json={"account_id": asked.id, "greeting": "hello"}
    )
    assert sent["friends"] is False
    await asker.ok("PUT", f"/blocks/{asked.id}")
    await assert_every_route_alike(
        [
            route(asked, "POST", "/friend-requests/{id}/accept", json={}),
            route(asked, "POST", "/friend-requests/{id}/decline"),
        ],
        sent["request"]["id"],
    )


async def test_blocking_someone_who_blocked_me_looks_like_blocking_nobody(
    cast: dict[str, Person],
) -> None:
    blocker, blocked = cast["author"], cast["stranger"]
    await blocker.ok("PUT", f"/blocks/{blocked.id}")
    await assert_every_route_alike(
        [
            route(blocked, "PUT", "/blocks/{id}"),
            route(blocked, "POST", "/api/v1/accounts/{id}/block"),
        ],
        blocker.id,
    )
    # Nothing was written: once the block ends, the two see each other again.
    await blocker.ok("DELETE", f"/blocks/{blocked.id}")
    relation = await blocked.made("GET", f"/accounts/{blocker.id}/relationship")
    assert relation["blocking"] is False


# Communities and media


async def test_a_moderator_removing_a_deleted_or_hidden_post_finds_nothing(
    cast: dict[str, Person],
) -> None:
    owner, author = cast["author"], cast["commenter"]
    community = await owner.made("POST", "/communities", json={"name": "登山"})
    cid = community["id"]
    await author.ok("POST", f"/communities/{cid}/membership")
    deleted = await author.made("POST", "/posts", json={"text": "gone", "community_id": cid})
    await author.ok("DELETE", f"/posts/{deleted['id']}")
    hidden = await author.made(
        "POST", "/posts", json={"text": "followers", "community_id": cid, "visibility": "followers"}
    )
    remove = route(owner, "DELETE", f"/communities/{cid}/posts/{{id}}")
    await assert_every_route_alike([remove], deleted["id"])
    await assert_every_route_alike([remove], hidden["id"])
    counted = await owner.made("GET", f"/communities/{cid}")
    assert counted["post_count"] == 1  # the hidden post; the deleted one was counted off once


async def test_an_image_of_a_hidden_post_looks_missing(cast: dict[str, Person]) -> None:
    author, stranger = cast["author"], cast["stranger"]
    r = await author.c.post(
        f"{NATIVE}/media",
        files={"file": ("p.png", encode(picture(), "PNG"), "image/png")},
        headers=author.user.auth if author.user else {},
    )
    image = r.json()["id"]
    await author.made(
        "POST", "/posts", json={"text": "pic", "media_ids": [image], "visibility": "followers"}
    )
    for who in (stranger, cast["anonymous"]):
        routes = [route(who, "GET", "/media/{id}"), route(who, "GET", "/media/{id}/thumb")]
        if who.user is not None:
            routes += [
                route(who, "GET", f"{NATIVE}/media/{{id}}"),
                route(who, "PATCH", f"{NATIVE}/media/{{id}}", json={"description": "x"}),
                route(who, "GET", "/api/v1/media/{id}"),
                route(who, "PUT", "/api/v1/media/{id}", data={"description": "x"}),
            ]
        await assert_every_route_alike(routes, image)
