"""@mentions in posts name only accounts the author may find by handle (as a lookup would):
someone who blocked the author, or who does not let handles find them, stays plain text (no
id, no link, no notification), exactly as a handle that belongs to nobody. A post is shown to
each viewer without the mentions of people who blocked that viewer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Personas, User

NATIVE = "/api/quanzi/v1"
ME = f"{NATIVE}/accounts/me"


async def native_post(client: httpx.AsyncClient, author: User, text: str) -> dict[str, Any]:
    r = await client.post(f"{NATIVE}/posts", json={"text": text}, headers=author.auth)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def mastodon_post(client: httpx.AsyncClient, author: User, text: str) -> dict[str, Any]:
    r = await client.post("/api/v1/statuses", data={"status": text}, headers=author.auth)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def notified(client: httpx.AsyncClient, user: User) -> list[str]:
    r = await client.get(f"{NATIVE}/notifications", headers=user.auth)
    return [n["kind"] for n in r.json()["items"]]


async def assert_reads_as_nobody(
    client: httpx.AsyncClient, author: User, hidden: User, nobody: str
) -> None:
    """A mention of `hidden` by `author`, through both doors, looks like one of `nobody` (a
    handle no account has) and tells `hidden` nothing."""
    for text in (f"hi @{hidden.handle}", f"hi @{nobody}"):
        assert (await native_post(client, author, text))["mentions"] == []
    said = await mastodon_post(client, author, f"hi @{hidden.handle}")
    ghost = await mastodon_post(client, author, f"hi @{nobody}")
    assert said["mentions"] == ghost["mentions"] == []
    assert said["content"] == ghost["content"].replace(nobody, hidden.handle)
    assert "mention" not in said["content"]
    assert "mention" not in await notified(client, hidden)


async def test_mention_of_someone_who_blocked_the_author_reads_as_one_of_nobody(
    client: httpx.AsyncClient, people: Personas
) -> None:
    author, blocker = await people.register("author"), await people.register("blocker")
    r = await client.put(f"{NATIVE}/blocks/{author.id}", headers=blocker.auth)
    assert r.status_code in (200, 204), r.text
    await assert_reads_as_nobody(client, author, blocker, "blockex")


async def test_mention_of_someone_not_found_by_handle_reads_as_one_of_nobody(
    client: httpx.AsyncClient, people: Personas
) -> None:
    author, shy, open_ = (
        await people.register("author"),
        await people.register("shyone"),
        await people.register("openone"),
    )
    r = await client.patch(ME, json={"privacy": {"find_by_handle": False}}, headers=shy.auth)
    assert r.status_code == 200, r.text
    await assert_reads_as_nobody(client, author, shy, "shytwo")
    both = await native_post(client, author, "@shyone and @openone")
    assert both["mentions"] == [open_.id]  # the rule is per person, not per post


async def test_a_post_is_shown_without_mentions_of_who_blocked_the_viewer(
    client: httpx.AsyncClient, people: Personas
) -> None:
    author, target, viewer, bystander = [
        await people.register(h) for h in ("author", "target", "viewer", "bystander")
    ]
    post = await native_post(client, author, "hello @target")
    assert post["mentions"] == [target.id]
    await client.put(f"{NATIVE}/blocks/{viewer.id}", headers=target.auth)

    async def shown_to(user: User) -> tuple[list[str], list[str], str]:
        native = await client.get(f"{NATIVE}/posts/{post['id']}", headers=user.auth)
        status = await client.get(f"/api/v1/statuses/{post['id']}", headers=user.auth)
        return (
            native.json()["mentions"],
            [m["id"] for m in status.json()["mentions"]],
            status.json()["content"],
        )

    assert (await shown_to(viewer))[:2] == ([], [])
    assert "mention" not in (await shown_to(viewer))[2]
    assert (await shown_to(bystander))[:2] == ([target.id], [target.id])
    assert "u-url mention" in (await shown_to(bystander))[2]
