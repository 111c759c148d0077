"""A push service and a browser on loopback, for the Web Push tests: the service takes what
the server POSTs (answering with the statuses a test asks for), and the device decrypts it
with its own keys (RFC 8291) and checks the server's VAPID signature (RFC 8292), as a
browser and its push service would."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi import FastAPI, Request, Response

from tests.conftest import serve_in_loop

UNCOMPRESSED = (serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self, service: PushService, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.secret = os.urandom(16)
        self.service = service
        self.name = name

    @property
    def endpoint(self) -> str:
        return f"{self.service.base}/push/{self.name}"

    def subscription(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives a page."""
        public = b64url(self.key.public_key().public_bytes(*UNCOMPRESSED))
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": public, "auth": b64url(self.secret)},
        }

    def open(self, got: Received) -> dict[str, Any]:
        encoding = got.headers["content-encoding"]
        if encoding == "aes128gcm":
            plain = http_ece.decrypt(
                got.body, private_key=self.key, auth_secret=self.secret, version="aes128gcm"
            )
        else:
            assert encoding == "aesgcm"
            salt = got.headers["encryption"].removeprefix("salt=")
            dh = got.headers["crypto-key"].split(";")[0].removeprefix("dh=")
            plain = http_ece.decrypt(
                got.body,
                salt=unb64url(salt),
                dh=unb64url(dh),
                private_key=self.key,
                auth_secret=self.secret,
                version="aesgcm",
            )
        return dict(orjson.loads(plain))

    async def pushes(self, count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
        """Wait for `count` pushes to this device; their payloads, decrypted."""
        return [self.open(got) for got in await self.service.wait(self.name, count, timeout)]


def check_vapid(headers: dict[str, str], server_key: str, audience: str) -> dict[str, Any]:
    """The VAPID token's claims, after checking its signature against the server's key."""
    scheme, _, rest = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    assert parts["k"] == server_key
    head, claims, signature = parts["t"].split(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(server_key))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    found = dict(orjson.loads(unb64url(claims)))
    assert found["aud"] == audience
    assert found["exp"] > time.time()
    return found


@dataclass
class PushService:
    base: str = ""
    got: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    tried: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/push/{name}")
        async def push(name: str, request: Request) -> Response:
            self.tried[name] += 1
            status = self.answers[name].pop(0) if self.answers[name] else 201
            if status == 201:
                self.got[name].append(Received(dict(request.headers), await request.body()))
            return Response(status_code=status)

        return app

    def device(self, name: str) -> Device:
        return Device(self, name)

    async def wait(self, name: str, count: int, timeout: float) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.got[name]) < count:
            assert time.monotonic() < deadline, f"{name}: {len(self.got[name])} of {count}"
            await asyncio.sleep(0.05)
        return self.got[name][:count]


@contextlib.asynccontextmanager
async def serving_push() -> AsyncIterator[PushService]:
    """A push service on a loopback port, for the length of the block."""
    service = PushService()
    async with serve_in_loop(service.app()) as base:
        service.base = base
        yield service
