"""Test helpers: personas made through the API, images with metadata, server processes."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from PIL import ExifTags, Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class User:
    id: str
    handle: str
    number: int
    token: str
    session_id: str

    @classmethod
    def of_session(cls, data: dict[str, Any]) -> User:
        """The user a `POST /sessions` answer names."""
        account = data["account"]
        return cls(
            account["id"],
            account["handle"],
            account["number"],
            data["token"],
            data["session"]["id"],
        )

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Personas:
    """People made through the native API, as a client would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def register(
        self,
        handle: str,
        *,
        display_name: str | None = None,
        password: str = PASSWORD,
        email: str | None = None,
    ) -> User:
        body: dict[str, Any] = {
            "handle": handle,
            "password": password,
            "display_name": display_name or handle.title(),
        }
        if email:
            body["email"] = email
        r = await self.client.post("/api/quanzi/v1/accounts", json=body)
        assert r.status_code == 201, r.text
        return await self.login(handle, password=password)

    async def login(
        self, login: str, *, password: str = PASSWORD, device: str = "test device"
    ) -> User:
        r = await self.client.post(
            "/api/quanzi/v1/sessions",
            json={"login": login, "password": password, "device_name": device},
        )
        assert r.status_code == 201, r.text
        return User.of_session(r.json())

    async def app_token(self, login: str, scope: str, *, password: str = PASSWORD) -> str:
        """A token given to a client app through OAuth (the password grant), with `scope`."""
        r = await self.client.post(
            "/api/v1/apps",
            data={
                "client_name": "An app",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": scope,
            },
        )
        assert r.status_code == 200, r.text
        r = await self.client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": r.json()["client_id"],
                "client_secret": r.json()["client_secret"],
                "username": login,
                "password": password,
                "scope": scope,
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


# Media files, loaded as a plain <img> or a Mastodon app's image view would: no header at all.

MISSING_FILE = "/media/1234567/AAAAAAAAAAAAAAAAAAAAAA"  # a media that does not exist


async def load_file(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET a media URL (absolute or a path) with no Authorization header and no cookie."""
    path = httpx.URL(url).raw_path.decode() if "://" in url else url
    request = client.build_request("GET", path)
    request.headers.pop("authorization", None)
    request.headers.pop("cookie", None)
    return await client.send(request)


def answer(r: httpx.Response) -> tuple[int, str, bytes]:
    """What a client can tell of a response (to hold two of them byte for byte equal)."""
    return r.status_code, r.headers.get("content-type", ""), r.content


async def assert_missing_file(client: httpx.AsyncClient, url: str) -> None:
    """`url` answers exactly as a media that does not exist."""
    got, missing = await load_file(client, url), await load_file(client, MISSING_FILE)
    assert missing.status_code == 404
    assert answer(got) == answer(missing), url


async def pg_admin(url: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (CREATE / DROP DATABASE)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


# Images


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, "white" if mode != "P" else 0)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1] // 2), fill="red" if mode != "P" else 1)
    return image


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    """A JPEG carrying a camera serial number, a GPS position and an XMP packet."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.BodySerialNumber] = "SERIAL-12345"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 50.0),
    }
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b"<rdf:Description>SECRET-XMP</rdf:Description></x:xmpmeta>"
    )
    return encode(picture(size), "JPEG", exif=exif.tobytes(), xmp=xmp)


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Comment", "home address: SECRET-PNG-TEXT")
    return encode(picture(mode="RGBA"), "PNG", pnginfo=info)


def animated_gif(frames: int = 3) -> bytes:
    images = [picture((32, 32)).rotate(90 * i) for i in range(frames)]
    return encode(
        images[0],
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=80,
        loop=0,
        comment=b"SECRET-GIF-COMMENT",
    )


def metadata_markers(data: bytes) -> list[str]:
    """Which of the planted secrets are still in a file."""
    markers = [
        b"SecretCam",
        b"SERIAL-12345",
        b"SECRET-XMP",
        b"SECRET-PNG-TEXT",
        b"SECRET-GIF-COMMENT",
        b"GPS",
    ]
    return [m.decode() for m in markers if m in data]


# Server processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`quanzi serve` in a child process, with its settings in the environment."""

    def __init__(self, env: Mapping[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, **env, "QUANZI_PORT": str(self.port), "QUANZI_HOST": "127.0.0.1"}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "quanzi", "serve"],
            env=full,
            cwd=str(ROOT),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, timeout: float = 60) -> None:
        # Generous: on a busy machine (two cores shared by several test runs) importing and
        # starting a server has taken over 20 s; a healthy start is not slower for it.
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.output()}")
                try:
                    r = await client.get(f"{self.base}/readyz", timeout=1)
                    if r.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"server did not become ready: {self.output()}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    async def wait(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError("server did not stop")
            await asyncio.sleep(0.05)
        return int(self.proc.returncode)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]


def settings_env(settings: Any) -> dict[str, str]:
    """The environment that gives a child process the same settings as `settings`."""
    env = {
        "QUANZI_DATA_DIR": str(settings.data_dir),
        "QUANZI_DATABASE_URL": settings.database_url,
        "QUANZI_MEDIA_DIR": str(settings.media_path),
        "QUANZI_SECRET_KEY": settings.secret_key.get_secret_value(),
        "QUANZI_REDIS_PREFIX": settings.redis_prefix,
        "QUANZI_ARGON2_TIME_COST": str(settings.argon2_time_cost),
        "QUANZI_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "QUANZI_ARGON2_PARALLELISM": str(settings.argon2_parallelism),
        "QUANZI_RATE_LOGIN_IP": settings.rate_login_ip,
        "QUANZI_RATE_REGISTER_IP": settings.rate_register_ip,
        "QUANZI_LOG_LEVEL": "warning",
    }
    if settings.redis_url:
        env["QUANZI_REDIS_URL"] = settings.redis_url
    return env
