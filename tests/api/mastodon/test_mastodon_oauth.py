"""OAuth for Mastodon client apps: registering an app, the consent page (/oauth/authorize), codes
with PKCE, tokens and their scopes, revoking; and the real Mastodon.py client against a real
server process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from mastodon import Mastodon
from quanzi.config import Settings
from quanzi.db.models import OAuthCode
from quanzi.services import Services
from tests.helpers import PASSWORD, Personas, ServerProcess, settings_env
from tests.web_helpers import WebUser

CALLBACK = "https://app.example/callback"
OTHER_CALLBACK = "quanzi-test-app://oauth"
OOB = "urn:ietf:wg:oauth:2.0:oob"


@dataclass
class App:
    client_id: str
    client_secret: str


async def register_app(
    client: httpx.AsyncClient,
    *,
    scopes: str = "read write follow push",
    redirect_uris: str = f"{CALLBACK}\n{OTHER_CALLBACK}\n{OOB}",
    name: str = "Tooter",
) -> App:
    r = await client.post(
        "/api/v1/apps",
        data={
            "client_name": name,
            "redirect_uris": redirect_uris,
            "scopes": scopes,
            "website": "https://app.example",
        },
    )
    assert r.status_code == 200, r.text
    return App(r.json()["client_id"], r.json()["client_secret"])


NewBrowser = Callable[[str], Awaitable[WebUser]]


@pytest.fixture
async def browser_for(client: httpx.AsyncClient) -> AsyncIterator[NewBrowser]:
    """A registered person logged in to the web client, one browser each."""
    made: list[WebUser] = []

    async def make(handle: str) -> WebUser:
        user = WebUser(client)
        made.append(user)
        await user.register(handle)
        return user

    yield make
    for user in made:
        await user.close()


def authorize_url(app: App, *, slash: bool = False, **params: str) -> str:
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "read write follow",
    } | params
    return f"/oauth/authorize{'/' if slash else ''}?{urlencode(query)}"


def consent_fields(html: str) -> dict[str, str]:
    """The hidden fields of the consent form, as the browser sends them back."""
    form = html[html.index('action="/oauth/authorize"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def answer_of(response: httpx.Response) -> dict[str, str]:
    """What the app gets back at its redirect URI."""
    assert response.status_code == 303, response.text[:500]
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def consent(browser: WebUser, url: str, decision: str = "allow") -> httpx.Response:
    """Open the consent page and press a button on it."""
    html = await browser.page(url)
    fields = consent_fields(html)
    fields.pop("csrf_token")
    return await browser.post("/oauth/authorize", fields | {"decision": decision})


async def exchange(
    client: httpx.AsyncClient,
    app: App,
    code: str,
    *,
    redirect_uri: str = CALLBACK,
    **extra: str,
) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        | extra,
    )


async def token_for(
    client: httpx.AsyncClient, browser: WebUser, app: App, scope: str = "read write follow"
) -> str:
    code = answer_of(await consent(browser, authorize_url(app, scope=scope)))["code"]
    r = await exchange(client, app, code)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# The authorization-code flow


async def test_code_flow_gives_a_token_that_acts_for_the_person(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    html = await alice.page(authorize_url(app, state="s-123"))
    assert "Tooter" in html and "https://app.example" in html
    assert "Follow, block and mute people for you" in html  # the scopes, in plain words
    assert 'name="csrf_token"' in html
    r = await consent(alice, authorize_url(app, state="s-123"))
    assert r.headers["location"].startswith(CALLBACK + "?")
    answer = answer_of(r)
    assert answer["state"] == "s-123"
    token = await exchange(client, app, answer["code"])
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "follow read write"
    assert token.headers["cache-control"] == "no-store"
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers=bearer(body["access_token"])
    )
    assert me.status_code == 200 and me.json()["username"] == "alice"


async def test_consent_page_lets_the_browser_follow_the_answer_to_the_app(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    """Browsers apply the page's form-action to the redirect after the form is sent."""
    app = await register_app(client)
    alice = await browser_for("alice")
    r = await alice.get(authorize_url(app))
    assert "form-action 'self' https://app.example" in r.headers["content-security-policy"]
    r = await alice.get(authorize_url(app, redirect_uri=OTHER_CALLBACK))
    assert "form-action 'self' quanzi-test-app:" in r.headers["content-security-policy"]


async def test_visitor_logs_in_first_and_comes_back_to_the_question(
    client: httpx.AsyncClient, people: Personas
) -> None:
    app = await register_app(client)
    await people.register("bob")
    browser = WebUser(client)
    try:
        url = authorize_url(app, slash=True, state="keep-me")  # toot asks with the slash
        r = await browser.get(url)
        assert r.status_code == 303
        location = urlsplit(r.headers["location"])
        assert location.path == "/login"
        back = parse_qs(location.query)["next"][0]
        assert back.startswith("/oauth/authorize?") and "state=keep-me" in back
        await browser.get(r.headers["location"])
        r = await browser.post("/login", {"login": "bob", "password": PASSWORD, "next": back})
        assert r.status_code == 303 and r.headers["location"] == back
        answer = answer_of(await consent(browser, back))
        assert answer["state"] == "keep-me"
        assert (await exchange(client, app, answer["code"])).status_code == 200
    finally:
        await browser.close()


async def test_consent_sent_after_logging_out_asks_to_log_in_again(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    fields = consent_fields(await alice.page(authorize_url(app, state="later")))
    await alice.post("/logout")
    r = await alice.post("/oauth/authorize", fields | {"decision": "allow"})
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert location.path == "/login"
    assert "state=later" in parse_qs(location.query)["next"][0]


async def test_unset_values_mastodon_py_sends_are_ignored(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    url = authorize_url(app, state="None", force_login="False", lang="None")
    answer = answer_of(await consent(alice, url))
    assert "state" not in answer and answer["code"]


async def test_someone_else_may_log_in_from_the_consent_page(
    client: httpx.AsyncClient, browser_for: NewBrowser, people: Personas
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    await people.register("carol")
    url = authorize_url(app, state="x")
    await alice.page(url)
    r = await alice.post("/oauth/authorize/other-account", {"next": url})
    assert r.status_code == 303
    assert parse_qs(urlsplit(r.headers["location"]).query)["next"] == [url]
    assert (await alice.get(url)).status_code == 303  # logged out here
    await alice.log_in("carol")
    code = answer_of(await consent(alice, url))["code"]
    token = (await exchange(client, app, code)).json()["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.json()["username"] == "carol"


async def test_oob_shows_the_code_to_copy(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    url = authorize_url(app, slash=True, redirect_uri=OOB)
    html = await alice.page(url)
    fields = consent_fields(html)
    fields.pop("csrf_token")
    r = await alice.post("/oauth/authorize", fields | {"decision": "allow"})
    assert r.status_code == 200
    found = re.search(r'id="oauth-code"[^>]*>([^<]+)</textarea>', r.text)
    assert found, r.text[:800]
    token = await exchange(client, app, found.group(1), redirect_uri=OOB)
    assert token.status_code == 200


async def test_an_app_with_one_redirect_uri_need_not_repeat_it(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client, redirect_uris=CALLBACK)
    alice = await browser_for("alice")
    url = f"/oauth/authorize?{urlencode({'client_id': app.client_id, 'response_type': 'code'})}"
    r = await consent(alice, url)
    assert r.headers["location"].startswith(CALLBACK + "?code=")


# PKCE


async def test_pkce_needs_the_right_verifier(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    verifier, challenge = pkce_pair()
    url = authorize_url(app, code_challenge=challenge, code_challenge_method="S256")
    code = answer_of(await consent(alice, url))["code"]
    for wrong in ({}, {"code_verifier": pkce_pair()[0]}, {"code_verifier": challenge}):
        r = await exchange(client, app, code, **wrong)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_grant"
    r = await exchange(client, app, code, code_verifier=verifier)
    assert r.status_code == 200


async def test_pkce_plain_is_refused(client: httpx.AsyncClient, browser_for: NewBrowser) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    url = authorize_url(app, code_challenge="x" * 43, code_challenge_method="plain", state="st")
    answer = answer_of(await alice.get(url))  # back to the app, not asked
    assert answer["error"] == "invalid_request" and answer["state"] == "st"
    assert "code" not in answer
    # Nor can the consent form be sent with it.
    html = await alice.page(authorize_url(app))
    fields = consent_fields(html) | {"code_challenge": "x" * 43, "code_challenge_method": "plain"}
    fields.pop("csrf_token")
    answer = answer_of(await alice.post("/oauth/authorize", fields | {"decision": "allow"}))
    assert answer["error"] == "invalid_request" and "code" not in answer


async def test_pkce_challenge_that_no_verifier_can_match_is_refused(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    for challenge in ("short", "é" * 43):
        url = authorize_url(app, code_challenge=challenge, code_challenge_method="S256")
        answer = answer_of(await alice.get(url))
        assert answer["error"] == "invalid_request" and "code" not in answer


# Registering an app


async def test_redirect_uris_a_browser_would_run_are_refused(client: httpx.AsyncClient) -> None:
    for uri in ("javascript:alert(1)", "data:text/html,hi", "relative/path"):
        r = await client.post(
            "/api/v1/apps", data={"client_name": "Bad", "redirect_uris": uri, "scopes": "read"}
        )
        assert r.status_code == 422, (uri, r.text)
        assert isinstance(r.json()["error"], str)


async def test_blank_scope_asks_for_what_the_app_registered(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client, scopes="read write")
    alice = await browser_for("alice")
    code = answer_of(await consent(alice, authorize_url(app, scope=" ")))["code"]
    r = await exchange(client, app, code)
    assert r.status_code == 200 and r.json()["scope"] == "read write"


# Codes: once, for their app and redirect URI


async def test_code_works_once_and_only_for_its_app_and_redirect_uri(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    other = await register_app(client, name="Other")
    alice = await browser_for("alice")
    code = answer_of(await consent(alice, authorize_url(app)))["code"]
    wrong_app = await exchange(client, other, code)
    assert wrong_app.status_code == 400 and wrong_app.json()["error"] == "invalid_grant"
    wrong_uri = await exchange(client, app, code, redirect_uri=OTHER_CALLBACK)
    assert wrong_uri.status_code == 400 and wrong_uri.json()["error"] == "invalid_grant"
    assert (await exchange(client, app, code)).status_code == 200
    again = await exchange(client, app, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_code_expires_after_ten_minutes_and_is_then_cleared_away(
    app: FastAPI, client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    services: Services = app.state.services
    tooter = await register_app(client)
    alice = await browser_for("alice")
    code = answer_of(await consent(alice, authorize_url(tooter)))["code"]
    async with services.write() as tx:  # eleven minutes pass
        await tx.session.execute(update(OAuthCode).values(expires_at=tx.now - timedelta(minutes=1)))
    late = await exchange(client, tooter, code)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    fresh = answer_of(await consent(alice, authorize_url(tooter)))["code"]
    async with services.read() as tx:
        left = (await tx.session.execute(select(func.count()).select_from(OAuthCode))).scalar()
    assert left == 1  # only the fresh code
    assert (await exchange(client, tooter, fresh)).status_code == 200


async def test_deny_tells_the_app_access_denied(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    answer = answer_of(await consent(alice, authorize_url(app, state="abc"), decision="deny"))
    assert answer["error"] == "access_denied" and answer["state"] == "abc"
    assert "code" not in answer


async def test_unregistered_redirect_uri_is_refused_without_redirecting(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    evil = "https://evil.example/steal"
    r = await alice.get(authorize_url(app, redirect_uri=evil, state="s"))
    assert r.status_code == 400 and "location" not in r.headers
    assert "evil.example" not in r.text and "return address" in r.text
    # A forged consent form gets no code either.
    html = await alice.page(authorize_url(app))
    fields = consent_fields(html) | {"redirect_uri": evil}
    fields.pop("csrf_token")
    r = await alice.post("/oauth/authorize", fields | {"decision": "allow"})
    assert r.status_code == 400 and "location" not in r.headers
    # Nor for an unknown app, or for a bad scope before the URI is known to be the app's.
    r = await alice.get(authorize_url(App("nope", ""), state="s"))
    assert r.status_code == 400 and "location" not in r.headers
    r = await alice.get(authorize_url(app, redirect_uri=evil, scope="admin"))
    assert r.status_code == 400 and "location" not in r.headers


async def test_scopes_the_app_did_not_register_go_back_as_invalid_scope(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client, scopes="read")
    alice = await browser_for("alice")
    answer = answer_of(await alice.get(authorize_url(app, scope="read write", state="q")))
    assert answer["error"] == "invalid_scope" and answer["state"] == "q"


async def test_consent_form_needs_its_csrf_token(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    fields = consent_fields(await alice.page(authorize_url(app)))
    fields["csrf_token"] = "x" * 43
    r = await alice.c.post("/oauth/authorize", data=fields | {"decision": "allow"})
    assert r.status_code == 403 and "location" not in r.headers


async def test_consent_page_speaks_chinese(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    alice = await browser_for("alice")
    r = await alice.c.get(authorize_url(app), headers={"accept-language": "zh-CN"})
    assert "允许" in r.text and "拒绝" in r.text
    r = await alice.get(authorize_url(app, lang="zh"))  # the language the app asks for
    assert "允许" in r.text and "拒绝" in r.text


# Scopes


async def test_read_token_reads_but_may_not_post(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    token = await token_for(client, await browser_for("alice"), app, scope="read")
    home = await client.get("/api/v1/timelines/home", headers=bearer(token))
    assert home.status_code == 200
    post = await client.post("/api/v1/statuses", data={"status": "hi"}, headers=bearer(token))
    assert post.status_code == 403
    assert isinstance(post.json()["error"], str)  # Mastodon's shape


async def test_write_statuses_token_posts_but_may_not_read_home(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    token = await token_for(client, await browser_for("alice"), app, scope="write:statuses")
    post = await client.post("/api/v1/statuses", data={"status": "hi"}, headers=bearer(token))
    assert post.status_code == 200, post.text
    home = await client.get("/api/v1/timelines/home", headers=bearer(token))
    assert home.status_code == 403 and isinstance(home.json()["error"], str)


async def test_follow_scope_follows(
    client: httpx.AsyncClient, browser_for: NewBrowser, people: Personas
) -> None:
    app = await register_app(client)
    bob = await people.register("bob")
    alice = await browser_for("alice")
    reader = await token_for(client, alice, app, scope="read")
    refused = await client.post(f"/api/v1/accounts/{bob.id}/follow", headers=bearer(reader))
    assert refused.status_code == 403
    follower = await token_for(client, alice, app, scope="follow")
    r = await client.post(f"/api/v1/accounts/{bob.id}/follow", headers=bearer(follower))
    assert r.status_code == 200, r.text
    assert r.json()["following"] or r.json()["requested"]


async def test_app_token_registers_people_but_is_nobody(client: httpx.AsyncClient) -> None:
    app = await register_app(client)
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read write",
        },
    )
    assert r.status_code == 200, r.text
    app_token = r.json()["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(app_token))
    assert me.status_code == 422 and isinstance(me.json()["error"], str)
    home = await client.get("/api/v1/timelines/home", headers=bearer(app_token))
    assert home.status_code == 422
    signup = await client.post(
        "/api/v1/accounts",
        data={"username": "newbie", "password": PASSWORD, "agreement": "true", "locale": "en"},
        headers=bearer(app_token),
    )
    assert signup.status_code == 200, signup.text
    new_token = signup.json()["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(new_token))
    assert me.status_code == 200 and me.json()["username"] == "newbie"


async def test_revoked_token_fails_at_once(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    token = await token_for(client, await browser_for("alice"), app)
    url = "/api/v1/accounts/verify_credentials"
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    r = await client.post(
        "/oauth/revoke",
        data={"client_id": app.client_id, "client_secret": app.client_secret, "token": token},
    )
    assert r.status_code == 200
    gone = await client.get(url, headers=bearer(token))
    assert gone.status_code == 401 and isinstance(gone.json()["error"], str)


async def test_another_app_cannot_revoke_a_token(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    other = await register_app(client, name="Other")
    token = await token_for(client, await browser_for("alice"), app)
    r = await client.post(
        "/oauth/revoke",
        data={"client_id": other.client_id, "client_secret": other.client_secret, "token": token},
    )
    assert r.status_code == 200  # RFC 7009: no telling whether the token exists
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200


async def test_oauth_token_is_refused_on_the_native_api(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    token = await token_for(client, await browser_for("alice"), app)
    r = await client.get("/api/quanzi/v1/accounts/me", headers=bearer(token))
    assert r.status_code == 403 and r.json()["error"]["code"] == "oauth_token"


async def test_native_token_works_on_the_mastodon_api(
    client: httpx.AsyncClient, people: Personas
) -> None:
    dave = await people.register("dave")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=dave.auth)
    assert me.status_code == 200 and me.json()["username"] == "dave"
    post = await client.post("/api/v1/statuses", data={"status": "from native"}, headers=dave.auth)
    assert post.status_code == 200, post.text


# Errors on /oauth/token, as RFC 6749 5.2 writes them


async def test_token_errors_follow_rfc_6749(
    client: httpx.AsyncClient, browser_for: NewBrowser
) -> None:
    app = await register_app(client)
    wrong_secret = await exchange(client, App(app.client_id, "wrong"), "x")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    unknown = await exchange(client, App("nobody", "x"), "x")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    bad_code = await exchange(client, app, "not-a-code")
    assert bad_code.status_code == 400
    assert set(bad_code.json()) == {"error", "error_description"}
    assert bad_code.json()["error"] == "invalid_grant"
    base = {"client_id": app.client_id, "client_secret": app.client_secret}
    r = await client.post("/oauth/token", data=base | {"grant_type": "refresh_token"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = await client.post("/oauth/token", data=base)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_password_grant_wrong_password_is_invalid_grant(
    client: httpx.AsyncClient, people: Personas
) -> None:
    await people.register("erin")
    app = await register_app(client)
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "username": "erin",
            "password": "wrong wrong wrong",
        },
    )
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


async def test_token_for_scopes_the_app_did_not_register_is_invalid_scope(
    client: httpx.AsyncClient, people: Personas
) -> None:
    await people.register("erin")
    app = await register_app(client, scopes="read")
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "username": "erin",
            "password": PASSWORD,
            "scope": "write",
        },
    )
    assert (r.status_code, r.json()["error"]) == (400, "invalid_scope")


# The real Mastodon.py client against a real server process


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(settings_env(settings))
    try:
        await process.ready()
        yield process
    finally:
        process.stop()


def _mastodon(base: str, **credentials: Any) -> Mastodon:
    return Mastodon(api_base_url=base, version_check_mode="none", **credentials)


@pytest.mark.slow
async def test_mastodon_py_password_grant(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base) as c:
        await Personas(c).register("frank")

    def run() -> tuple[str, str]:
        client_id, secret = Mastodon.create_app("Mastodon.py test", api_base_url=server.base)
        api = _mastodon(server.base, client_id=client_id, client_secret=secret)
        api.log_in("frank", PASSWORD)
        api.status_post("hello from Mastodon.py")
        me = api.account_verify_credentials()
        return str(me["username"]), str(api.timeline_home()[0]["content"])

    username, content = await asyncio.to_thread(run)
    assert username == "frank" and "hello from Mastodon.py" in content


@pytest.mark.slow
async def test_mastodon_py_code_flow(server: ServerProcess) -> None:
    client_id, secret = await asyncio.to_thread(
        Mastodon.create_app,
        "Mastodon.py code",
        api_base_url=server.base,
        redirect_uris=CALLBACK,
    )
    api = _mastodon(server.base, client_id=client_id, client_secret=secret)
    url = await asyncio.to_thread(
        api.auth_request_url, redirect_uris=CALLBACK, state="from-mastodon-py"
    )
    assert url.startswith(server.base + "/oauth/authorize?")
    async with httpx.AsyncClient(base_url=server.base) as http:
        browser = WebUser(http)
        try:
            await browser.register("grace")
            answer = answer_of(await consent(browser, url.removeprefix(server.base)))
        finally:
            await browser.close()
    assert answer["state"] == "from-mastodon-py"

    def finish() -> str:
        api.log_in(code=answer["code"], redirect_uri=CALLBACK)
        return str(api.account_verify_credentials()["username"])

    assert await asyncio.to_thread(finish) == "grace"
