"""The conventions every endpoint follows: error bodies, status codes, limits, pagination,
OpenAPI, request ids."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Personas


def assert_error(r: httpx.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/quanzi/v1/no/such/thing"), 404, "not_found")


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.put("/api/quanzi/v1/sessions"), 405, "method_not_allowed")


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/quanzi/v1/accounts",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert_error(r, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"handle": 5, "password": "x" * 10, "display_name": "n"},
        {"handle": "ok_name", "password": ["list"], "display_name": "n"},
        {"handle": "ok_name", "password": "x" * 10, "display_name": "n", "extra": True},
        [1, 2, 3],
        "just a string",
    ],
)
async def test_wrong_types_are_422_with_fields(client: httpx.AsyncClient, body: object) -> None:
    r = await client.post("/api/quanzi/v1/accounts", json=body)
    assert_error(r, 422, "invalid_request")
    assert r.json()["error"]["details"]["fields"]


async def test_oversized_json_is_413_and_nothing_is_created(client: httpx.AsyncClient) -> None:
    big = {"handle": "bigone", "password": "x" * 10, "display_name": "n", "pad": "x" * 2_000_000}
    assert_error(await client.post("/api/quanzi/v1/accounts", json=big), 413, "too_large")
    assert (
        await client.get("/api/quanzi/v1/accounts/lookup", params={"handle": "bigone"})
    ).status_code == 404


async def test_oversized_body_without_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    r = await client.post(
        "/api/quanzi/v1/accounts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(r, 413, "too_large")


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "99999999999999999999999", "1.5"])
async def test_malformed_ids_are_422(client: httpx.AsyncClient, bad_id: str) -> None:
    assert_error(await client.get(f"/api/quanzi/v1/accounts/{bad_id}"), 422, "invalid_request")


async def test_id_just_inside_the_range_is_a_plain_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(f"/api/quanzi/v1/accounts/{2**63 - 1}"), 404, "not_found")


async def test_protected_endpoints_say_401(client: httpx.AsyncClient) -> None:
    for method, url in [
        ("GET", "/api/quanzi/v1/accounts/me"),
        ("PATCH", "/api/quanzi/v1/accounts/me"),
        ("GET", "/api/quanzi/v1/sessions"),
        ("POST", "/api/quanzi/v1/media"),
    ]:
        assert_error(await client.request(method, url), 401, "unauthorized")


async def test_pagination_walks_a_list_without_gaps(people: Personas) -> None:
    me = await people.register("pager")
    for i in range(4):
        await people.login("pager", device=f"device {i}")
    c = people.client
    seen: list[str] = []
    params: dict[str, object] = {"limit": 2}
    while True:
        page = (await c.get("/api/quanzi/v1/sessions", params=params, headers=me.auth)).json()
        seen += [s["device_name"] for s in page["items"]]
        if page["next_max_id"] is None:
            break
        params = {"limit": 2, "max_id": page["next_max_id"]}
    assert seen == ["device 3", "device 2", "device 1", "device 0", "test device"]
    # and forward again from the oldest, with min_id
    oldest = (
        await c.get(
            "/api/quanzi/v1/sessions",
            params={"limit": 1, "max_id": page["prev_min_id"]},
            headers=me.auth,
        )
    ).json()
    assert oldest["items"] == []
    newer = (
        await c.get(
            "/api/quanzi/v1/sessions", params={"limit": 2, "min_id": me.session_id}, headers=me.auth
        )
    ).json()
    assert [s["device_name"] for s in newer["items"]] == ["device 1", "device 0"]


async def test_pagination_limit_is_bounded(people: Personas) -> None:
    me = await people.register("limiter")
    for limit in (0, 101, -5):
        r = await people.client.get(
            "/api/quanzi/v1/sessions", params={"limit": limit}, headers=me.auth
        )
        assert_error(r, 422, "invalid_request")


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert spec["info"]["title"] == "quanzi"
    assert "/api/quanzi/v1/accounts" in spec["paths"]
    assert "/api/quanzi/v1/media" in spec["paths"]
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 16


async def test_server_info(client: httpx.AsyncClient) -> None:
    info = (await client.get("/api/quanzi/v1/server")).json()
    assert info["name"] == "quanzi"
    assert info["registration"] == "open"
    assert info["limits"]["display_name_max"] == 40


async def test_web_page_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/", follow_redirects=True)
    assert r.status_code == 200
    assert "quanzi" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/quanzi/v1/search?q=%E5%BE%AE%E4%BF%A1%00",
        "/api/quanzi/v1/accounts/search?q=abc%00",
        "/api/quanzi/v1/topics/%E8%AF%9D%00%E9%A2%98",
    ],
)
async def test_nul_in_a_url_is_400(people: Personas, url: str) -> None:
    """PostgreSQL cannot hold NUL in text: the door refuses it before any query sees it."""
    me = await people.register("nulsender")
    assert_error(await people.client.get(url, headers=me.auth), 400, "bad_request")


async def test_search_ignores_control_characters(people: Personas) -> None:
    me = await people.register("ctrlsearch")
    r = await people.client.get(
        "/api/quanzi/v1/search", params={"q": "ctrl\x07search"}, headers=me.auth
    )
    assert r.status_code == 200, r.text
    assert "ctrlsearch" in [a["handle"] for a in r.json()["accounts"]]
