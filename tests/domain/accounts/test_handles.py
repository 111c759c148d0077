"""One reading of a handle, at every door: registration takes only exact handles (so `alice\\n`
is no second alice and `admin\\n` no way round the reserved names), and lookups, log in, search
and mentions read what they are given the same way (`kit.text.handle_key`)."""

from __future__ import annotations

import httpx

from quanzi.kit.posttext import mentions
from quanzi.kit.text import handle_key, handle_prefix_key, is_valid_handle
from tests.api.mastodon.test_mastodon_oauth import bearer, register_app
from tests.helpers import PASSWORD, Personas
from tests.web_helpers import WebUser

NATIVE = "/api/quanzi/v1"
# Text around, inside or instead of a handle that must never make another account.
NOT_HANDLES = [
    "alice\n",
    "alice ",
    " alice",
    "\talice",
    "al\u200bice",  # zero-width space
    "alice\u202e",  # right-to-left override
    "ａｌｉｃｅ",  # full width
    "\u212aate",  # Kelvin sign, which Python lower-cases to k
    "alice\x1b",  # escape
]


def test_a_handle_is_read_by_full_match_and_ascii_case_only() -> None:
    assert [is_valid_handle(h) for h in ("alice", "Alice_2", "abc", "a" * 30)] == [True] * 4
    assert not any(is_valid_handle(h) for h in NOT_HANDLES)
    assert handle_key("Alice") == handle_key(" @alice\n") == "alice"
    for text in ("al\u200bice", "ａｌｉｃｅ", "\u212aate", "alice bob", "a" * 31, "@", "1abc"):
        assert handle_key(text) is None, text
    assert handle_prefix_key("@Al") == "al" and handle_prefix_key("韩梅") is None
    assert mentions("hi @Alice\n and @ALICE, @\u212aate") == ["alice"]


async def register(client: httpx.AsyncClient, handle: str) -> httpx.Response:
    return await client.post(
        f"{NATIVE}/accounts",
        json={"handle": handle, "password": PASSWORD, "display_name": "Someone"},
    )


async def test_handle_with_anything_around_or_inside_it_is_refused_at_registration(
    client: httpx.AsyncClient,
) -> None:
    assert (await register(client, "alice")).status_code == 201
    for handle in [*NOT_HANDLES, "admin\n", "root "]:
        r = await register(client, handle)
        assert r.status_code == 422, (handle, r.text)
        assert r.json()["error"]["code"] == "invalid_handle", handle
    found = await client.get(f"{NATIVE}/accounts/search", params={"q": "alice"})
    assert [a["handle"] for a in found.json()["items"]] == ["alice"]


async def test_reserved_names_are_taken_in_any_case(client: httpx.AsyncClient) -> None:
    for handle in ("ADMIN", "Root", "Well_Known"):
        r = await register(client, handle)
        assert (r.status_code, r.json()["error"]["code"]) == (409, "handle_taken"), handle


async def test_lookup_reads_the_handle_as_registration_does(
    client: httpx.AsyncClient, people: Personas
) -> None:
    alice = await people.register("alice")
    for given in ("alice", "ALICE", "alice\n", " @Alice "):
        r = await client.get(f"{NATIVE}/accounts/lookup", params={"handle": given})
        assert (r.status_code, r.json().get("id")) == (200, alice.id), repr(given)
    missing = await client.get(f"{NATIVE}/accounts/lookup", params={"handle": "nobody"})
    assert missing.status_code == 404
    for given in ("al\u200bice", "ａｌｉｃｅ", "alice\x1b"):
        r = await client.get(f"{NATIVE}/accounts/lookup", params={"handle": given})
        assert (r.status_code, r.content) == (404, missing.content), repr(given)


async def test_log_in_reads_the_handle_as_registration_does(
    client: httpx.AsyncClient, people: Personas
) -> None:
    alice = await people.register("alice")
    for login in ("ALICE", "alice\n", " alice\t"):
        assert (await people.login(login)).id == alice.id
    for login in ("al\u200bice", "ａｌｉｃｅ"):
        r = await client.post(f"{NATIVE}/sessions", json={"login": login, "password": PASSWORD})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_credentials")


async def test_mastodon_lookup_and_registration_read_handles_the_same_way(
    client: httpx.AsyncClient, people: Personas
) -> None:
    alice = await people.register("alice")
    for acct in ("alice", "@ALICE", "alice\n", "alice@testserver"):
        r = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert (r.status_code, r.json().get("id")) == (200, alice.id), repr(acct)
    for acct in ("al\u200bice", "ａｌｉｃｅ"):
        r = await client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert r.status_code == 404, repr(acct)
    app = await register_app(client)
    token = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read write",
        },
    )
    for username in ("alice\n", "admin\n", " bob"):
        r = await client.post(
            "/api/v1/accounts",
            data={"username": username, "password": PASSWORD, "agreement": "true"},
            headers=bearer(token.json()["access_token"]),
        )
        assert r.status_code == 422 and isinstance(r.json()["error"], str), repr(username)


async def test_web_registration_refuses_a_handle_with_a_newline(client: httpx.AsyncClient) -> None:
    user = WebUser(client)
    try:
        await user.get("/register")
        r = await user.post(
            "/register",
            {"handle": "alice\n", "display_name": "Alice", "password": PASSWORD},
        )
        assert r.status_code == 422
        assert "quanzi_session" not in r.headers.get("set-cookie", "")
    finally:
        await user.close()
    lookup = await client.get(f"{NATIVE}/accounts/lookup", params={"handle": "alice"})
    assert lookup.status_code == 404  # nobody was made


async def test_mentions_find_the_handle_in_any_case_and_nothing_else(
    client: httpx.AsyncClient, people: Personas
) -> None:
    alice = await people.register("alice")
    bob = await people.register("bob")
    r = await client.post(
        f"{NATIVE}/posts",
        json={"text": "hi @ALICE and @ａｌｉｃｅ and @al\u200bice"},
        headers=bob.auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["mentions"] == [alice.id]
