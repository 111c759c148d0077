"""The Mastodon-compatible API driven end to end by toot 0.52.1, a real Mastodon command-line
client, run as it is installed (a subprocess) against a real `quanzi serve` process, on SQLite
and on PostgreSQL + Redis.

alice and bob each have their own toot configuration (XDG_CONFIG_HOME), logged in with
`toot login_cli`; nothing is typed (stdin is closed), so every option is given."""

from __future__ import annotations

import io
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from tests.helpers import PASSWORD, ROOT, jpeg_with_gps, metadata_markers
from tests.mastodon_helpers import Server, email_of, server_fixture

pytestmark = pytest.mark.slow

TOOT = str(ROOT / ".venv" / "bin" / "toot")


@dataclass
class Toot:
    """toot as one person uses it: their own configuration, cache and temporary files."""

    handle: str
    home: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "TOOT_TESTING"}
        for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "TMPDIR"):
            path = self.home / name.lower()
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        env["COLUMNS"] = "200"
        return env

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [TOOT, *args],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if ok:
            assert done.returncode == 0, f"toot {args}: {done.stdout}\n{done.stderr}"
        return done

    def out(self, *args: str) -> str:
        return self.run(*args).stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


@dataclass
class Pair:
    server: Server
    alice: Toot
    bob: Toot


server = server_fixture("toot")


@pytest.fixture(scope="module")
def pair(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    people = []
    for handle, name in (("alice", "爱丽丝 Alice"), ("bob", "鲍勃 Bob")):
        server.create_user(handle, name)
        toot = Toot(handle, tmp_path_factory.mktemp(f"toot-{handle}"))
        done = toot.run("login_cli", "-i", server.base, "-e", email_of(handle), "-p", PASSWORD)
        assert "Successfully logged in" in done.stdout, done.stdout
        people.append(toot)
    return Pair(server, *people)


def words() -> str:
    return f"w{uuid.uuid4().hex[:10]}"


def test_login_cli_then_whoami(pair: Pair) -> None:
    me = pair.alice.json("whoami")
    assert (me["username"], me["display_name"]) == ("alice", "爱丽丝 Alice")
    shown = pair.bob.out("whoami")
    assert "@bob" in shown and "鲍勃 Bob" in shown


def test_post_with_media_serves_the_image_without_gps(pair: Pair, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_with_gps())
    status = pair.alice.json("post", f"带图的动态 a photo {words()}", "--media", str(photo))
    [media] = status["media_attachments"]
    served = httpx.get(media["url"])
    assert served.status_code == 200
    assert metadata_markers(served.content) == []
    assert not Image.open(io.BytesIO(served.content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_timelines_home_public_and_tag(pair: Pair) -> None:
    w = words()
    status = pair.bob.json("post", f"鲍勃说你好 hello #问候{w}# #greet{w}")
    for args in (
        ("timeline", "--once"),
        ("timeline", "--public", "--once"),
        ("timeline", "--tag", f"问候{w}", "--once"),
        ("timeline", "--tag", f"greet{w}", "--once"),
    ):
        assert w in pair.bob.out(*args), args
    home = pair.bob.json("timelines", "home", "--no-pager", "--no-clear")
    assert status["id"] in [s["id"] for s in home]


def test_follow_favourite_reblog_thread_and_notifications(pair: Pair) -> None:
    alice, bob = pair.alice, pair.bob
    w = words()
    follow = bob.json("follow", "alice")
    assert follow["following"] is True
    post = alice.json("post", f"关注我吧 follow me {w}")
    assert w in bob.out("timeline", "--once")

    assert bob.json("favourite", post["id"])["favourited"] is True
    boost = bob.json("reblog", post["id"])
    assert boost["reblog"]["id"] == post["id"]
    reply = bob.json("post", f"回复 a reply {w}", "--reply-to", post["id"])
    assert reply["in_reply_to_id"] == post["id"]

    thread = alice.json("thread", reply["id"])
    assert [s["id"] for s in thread["ancestors"]] == [post["id"]]
    assert [s["id"] for s in alice.json("thread", post["id"])["descendants"]] == [reply["id"]]
    assert "a reply" in alice.out("thread", post["id"])

    notes = alice.json("notifications")
    kinds = {
        (n["type"], n["account"]["username"], (n.get("status") or {}).get("id")) for n in notes
    }
    assert ("follow", "bob", None) in kinds
    assert ("favourite", "bob", post["id"]) in kinds
    assert ("reblog", "bob", post["id"]) in kinds
    assert ("mention", "bob", reply["id"]) in kinds
    text = alice.out("notifications")
    assert "bob" in text and w in text


def test_delete(pair: Pair) -> None:
    w = words()
    post = pair.alice.json("post", f"马上删除 delete me {w}")
    gone = pair.alice.json("delete", post["id"])
    assert gone["id"] == post["id"]
    missing = pair.alice.run("status", post["id"], ok=False)
    assert missing.returncode != 0
    assert w not in pair.alice.out("timeline", "--public", "--once")
